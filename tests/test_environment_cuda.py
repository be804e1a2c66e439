"""mmcv's compiled CUDA ops, which Faster/Mask R-CNN need on a GPU: nms and
RoIAlign run on a CUDA tensor and match the CPU kernels (tools/install.sh
builds them where a GPU and a matching toolkit are found)."""
import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')


def test_mmcv_was_compiled_with_cuda():
    from mmcv.ops import get_compiling_cuda_version
    assert get_compiling_cuda_version().split('.')[0] == (
        torch.version.cuda.split('.')[0])


def test_mmcv_nms_on_cuda():
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30],
                          [0, 0, 10, 9]], dtype=torch.float32, device='cuda')
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95], device='cuda')
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # box 3 suppresses boxes 0 (IoU 0.9) and 1 (IoU 72/118)
    assert keep.device.type == 'cuda' and keep.tolist() == [3, 2]


@pytest.mark.parametrize('dtype', [torch.float32, torch.float16])
def test_mmcv_roi_align_on_cuda_matches_cpu(dtype):
    from mmcv.ops import roi_align
    feats = torch.randn(2, 3, 16, 16)
    rois = torch.tensor([[0, 1.0, 2.0, 9.5, 12.0], [1, 0.0, 0.0, 15.0, 7.5]])
    args = ((4, 4), 1.0, 2, 'avg', True)
    expected = roi_align(feats, rois, *args)
    inp = feats.cuda().to(dtype).requires_grad_()
    out = roi_align(inp, rois.cuda().to(dtype), *args)
    assert out.dtype == dtype
    tol = 1e-5 if dtype == torch.float32 else 1e-2
    torch.testing.assert_close(out.float().cpu(), expected, rtol=tol,
                               atol=tol)
    out.float().sum().backward()
    assert torch.isfinite(inp.grad).all()
