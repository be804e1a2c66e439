"""The compiled mmcv ops that Faster/Mask R-CNN need really run on CPU."""
import pytest
import torch
import torchvision


def test_mmcv_nms_runs_compiled_op():
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30],
                          [0, 0, 10, 9]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # box 3 (0.95) suppresses box 0 (IoU 90/100) and box 1
    # (IoU 72/118); box 2 overlaps nothing
    assert keep.tolist() == [3, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.95, 0.7]))


def test_mmcv_roi_align_matches_torchvision():
    from mmcv.ops import roi_align
    feats = torch.randn(2, 3, 16, 16)
    rois = torch.tensor([[0, 1.0, 2.0, 9.5, 12.0], [1, 0.0, 0.0, 15.0, 7.5],
                         [1, 3.3, 4.1, 6.2, 13.9]])
    # mmcv's functional form takes positional arguments only
    ours = roi_align(feats, rois, (4, 4), 1.0, 2, 'avg', True)
    expected = torchvision.ops.roi_align(feats, rois, (4, 4),
                                         spatial_scale=1.0, sampling_ratio=2,
                                         aligned=True)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)


def test_stack_versions_are_pinned():
    import mmcv
    assert torch.__version__.startswith('2.14.1')
    assert mmcv.__version__ == '2.3.6'


def test_mmcv_ops_accept_bfloat16_on_cpu_within_the_scope():
    """gcp_mm.compat: inside low_precision_cpu_inputs, nms and RoIAlign run
    in float32 for bf16 CPU input, with gradients back in the input's
    dtype; outside, mmcv's own kernels are back (and refuse bf16)."""
    from mmcv.ops import nms, roi_align
    from mmcv.ops.nms import NMSop
    from mmcv.ops.roi_align import RoIAlignFunction

    from gcp_mm.compat import low_precision_cpu_inputs
    originals = [f.__dict__.get(n) for f in (NMSop, RoIAlignFunction)
                 for n in ('forward', 'backward')]
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]],
                         dtype=torch.bfloat16)
    scores = torch.tensor([0.9, 0.8, 0.7], dtype=torch.bfloat16)
    feats = torch.randn(1, 2, 8, 8)
    rois = torch.tensor([[0, 1.0, 1.0, 6.0, 6.0]])
    expected = roi_align(feats, rois, (2, 2), 1.0, 2, 'avg', True)
    low = feats.bfloat16().requires_grad_()
    with low_precision_cpu_inputs():
        _, keep = nms(boxes, scores, iou_threshold=0.5)
        assert keep.tolist() == [0, 2]
        out = roi_align(low, rois.bfloat16(), (2, 2), 1.0, 2, 'avg', True)
        assert out.dtype == torch.bfloat16  # as the CUDA kernels return
        torch.testing.assert_close(out.float(), expected, rtol=0.02,
                                   atol=0.02)
        out.sum().backward()
    assert low.grad.dtype == torch.bfloat16
    assert torch.isfinite(low.grad.float()).all()
    assert [f.__dict__.get(n) for f in (NMSop, RoIAlignFunction)
            for n in ('forward', 'backward')] == originals
    with pytest.raises(RuntimeError):
        nms(boxes, scores, iou_threshold=0.5)
