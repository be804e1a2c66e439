import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import gcp_mm  # noqa: F401  registers the modules
from gcp_mm.models import GlobalCovariancePooling

CLASSIFIER = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, strides=(1, 2, 2, 1),
                  num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalCovariancePooling', in_channels=512),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=32896,
              loss=dict(type='CrossEntropyLoss')),
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[0, 0, 0],
                           std=[1, 1, 1]))


def make_batch(num=4, size=48):
    from mmpretrain.structures import DataSample
    return dict(
        inputs=[torch.rand(3, size, size) * 255 for _ in range(num)],
        data_samples=[DataSample().set_gt_label(i % 5) for i in range(num)])


@pytest.mark.parametrize('reduced,expected', [(256, 32896), (128, 8256),
                                              (None, 260 * 261 // 2)])
def test_out_channels(reduced, expected):
    neck = GlobalCovariancePooling(260, reduced_channels=reduced)
    assert neck.out_channels == expected
    out = neck(torch.randn(2, 260, 4, 4))
    assert out.shape == (2, expected)


def test_forward_is_reduction_then_isqrt_cov():
    """Against the reference math written out with functional ops."""
    neck = GlobalCovariancePooling(6, reduced_channels=4,
                                   act_cfg=dict(type='ReLU6')).double()
    neck.init_weights()
    neck.eval()
    x = torch.randn(3, 6, 5, 5, dtype=torch.float64)
    conv, bn = neck.reduction[0], neck.reduction[1]
    feats = F.conv2d(x, conv.weight)
    feats = (feats - bn.running_mean.view(1, -1, 1, 1)) / torch.sqrt(
        bn.running_var.view(1, -1, 1, 1) + bn.eps)
    feats = feats.clamp(0, 6).flatten(2)
    centred = feats - feats.mean(-1, keepdim=True)
    cov = centred @ centred.mT / 25
    eig, vec = torch.linalg.eigh(cov)
    neck.num_iters = 30  # converged, so the exact root is the reference
    root = vec @ torch.diag_embed(eig.clamp(min=0).sqrt()) @ vec.mT
    rows, cols = torch.triu_indices(4, 4)
    torch.testing.assert_close(neck(x), root[:, rows, cols], rtol=0,
                               atol=1e-8)


def test_tuple_in_tuple_out():
    neck = GlobalCovariancePooling(8, reduced_channels=4)
    outs = neck((torch.randn(2, 8, 3, 3), torch.randn(2, 8, 5, 5)))
    assert isinstance(outs, tuple) and [o.shape for o in outs] == [
        (2, 10), (2, 10)
    ]
    with pytest.raises(TypeError, match='tuple or a torch.Tensor'):
        neck([torch.randn(2, 8, 3, 3)])


def test_reference_initialisation():
    neck = GlobalCovariancePooling(512, reduced_channels=256)
    with torch.no_grad():
        neck.reduction[1].weight.fill_(3.0)
        neck.reduction[1].bias.fill_(2.0)
    neck.init_weights()
    weight = neck.reduction[0].weight
    assert neck.reduction[0].bias is None
    # kaiming normal, fan_out = 256 * 1 * 1, gain sqrt(2)
    assert weight.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    assert abs(weight.mean().item()) < 2e-3
    assert torch.equal(neck.reduction[1].weight, torch.ones(256))
    assert torch.equal(neck.reduction[1].bias, torch.zeros(256))


def test_activation_is_selectable():
    neck = GlobalCovariancePooling(4, reduced_channels=2)
    assert isinstance(neck.reduction[2], torch.nn.ReLU)
    neck = GlobalCovariancePooling(4, 2, act_cfg=dict(type='ReLU6'))
    assert isinstance(neck.reduction[2], torch.nn.ReLU6)


def test_channel_mismatch_is_explained():
    neck = GlobalCovariancePooling(512)
    with pytest.raises(ValueError, match=r'in_channels=512.*\(2, 256, 7, 7\)'):
        neck(torch.randn(2, 256, 7, 7))


def test_single_position_map_is_explained():
    neck = GlobalCovariancePooling(8, reduced_channels=4)
    with pytest.raises(ValueError, match='single position'):
        neck(torch.randn(2, 8, 1, 1))


@pytest.mark.parametrize('kwargs,match', [
    (dict(num_iters=0), 'num_iters'),
    (dict(reduced_channels=0), 'reduced_channels'),
    (dict(reduced_channels=16), r'reduced_channels=16 is larger than '
     r'in_channels=8'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GlobalCovariancePooling(8, **kwargs)


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet'])
def test_builds_from_both_registries(scope):
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    neck = registry.build(
        dict(type='GlobalCovariancePooling', in_channels=16,
             reduced_channels=8))
    assert isinstance(neck, GlobalCovariancePooling)


def test_custom_imports_from_a_config_file(tmp_path):
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(
        "custom_imports = dict(imports=['gcp_mm'], "
        "allow_failed_imports=False)\n"
        "neck = dict(type='GlobalCovariancePooling', in_channels=512)\n")
    cfg = Config.fromfile(str(cfg_file))
    from mmpretrain.registry import MODELS
    assert MODELS.build(cfg.neck).out_channels == 32896


def test_image_classifier_train_and_val_step():
    from mmpretrain.registry import MODELS
    model = MODELS.build(copy.deepcopy(CLASSIFIER))
    model.init_weights()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01,
                                         momentum=0.9))
    before = model.head.fc.weight.detach().clone()
    batch = make_batch()
    losses = model.train_step(batch, optim)
    assert torch.isfinite(losses['loss'])
    assert not torch.equal(before, model.head.fc.weight)
    # stride-1 last stage: 48 px input -> 3x3 map reaches the neck
    feats = model.extract_feat(model.data_preprocessor(batch)['inputs'])
    assert feats[0].shape == (4, 32896)
    preds = model.val_step(batch)
    assert len(preds) == 4
    assert preds[0].pred_score.shape == (5, )
    assert torch.allclose(preds[0].pred_score.sum(), torch.tensor(1.0))
