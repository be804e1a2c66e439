"""Every ImageNet config builds its model, which runs forward, and has the
reference architecture of REFERENCE.md section 2."""
import pytest
import torch
from mmpretrain.registry import MODELS

from gcp_mm.models import DropoutLinearClsHead, GlobalCovariancePooling

from .test_imagenet_configs import CONFIGS, load


def build(name):
    model = MODELS.build(load(name).model)
    model.init_weights()
    return model.eval()


# one forward per (architecture, head): the schedule does not touch the model
MODEL_CONFIGS = sorted({n for n in CONFIGS if n.endswith('_lrnorm')})


@pytest.mark.parametrize('name', MODEL_CONFIGS)
def test_builds_and_runs_forward(name):
    model = build(name)
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert logits.shape == (2, 1000)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_builds_its_model(name):
    cfg = load(name)
    arch, head = name.split('_lr')[0].rsplit('_', 1)
    expected_neck = ('GlobalCovariancePooling'
                     if head.startswith('gcp') else 'GlobalAveragePooling')
    assert cfg.model.neck.type == expected_neck


@pytest.mark.parametrize('depth,channels', [(18, 512), (50, 2048)])
def test_gcp_resnet_is_reference(depth, channels):
    model = build(f'resnet{depth}_gcp_lrnorm')
    assert model.backbone.strides == (1, 2, 2, 1)
    neck = model.neck
    assert isinstance(neck, GlobalCovariancePooling)
    assert neck.in_channels == channels and neck.reduced_channels == 256
    assert isinstance(neck.reduction[2], torch.nn.ReLU)
    assert model.head.fc.in_features == 32896
    with torch.no_grad():
        feats = model.backbone(torch.randn(1, 3, 224, 224))
    assert feats[-1].shape[-2:] == (14, 14)  # last stage at stride 1
    # torchvision's init: no zero-initialised residual BN
    last_bn = model.backbone.layer1[0].norm2 if depth == 18 else \
        model.backbone.layer1[0].norm3
    assert torch.equal(last_bn.weight, torch.ones_like(last_bn.weight))


def test_gap_resnet_keeps_stride_two():
    model = build('resnet18_gap_lrnorm')
    with torch.no_grad():
        feats = model.backbone(torch.randn(1, 3, 224, 224))
    assert feats[-1].shape[-2:] == (7, 7)
    assert model.head.fc.in_features == 512


@pytest.mark.parametrize('name,features', [('resnet50_gcp128_lrnorm', 8256),
                                           ('mobilenet_v2_gcp128_lrnorm',
                                            8256)])
def test_128_variants(name, features):
    model = build(name)
    assert model.neck.reduced_channels == 128
    assert model.head.fc.in_features == features


@pytest.mark.parametrize('name,in_channels,dropout', [
    ('mobilenet_v2_gcp_lrnorm', 1280, 0.2),
    ('shufflenet_v2_gcp_lrnorm', 1024, None),
])
def test_light_gcp_models_are_reference(name, in_channels, dropout):
    model = build(name)
    assert model.neck.in_channels == in_channels
    assert isinstance(model.neck.reduction[2], torch.nn.ReLU6)
    assert model.head.fc.in_features == 32896
    if dropout is None:
        assert not isinstance(model.head, DropoutLinearClsHead)
    else:
        assert model.head.dropout.p == dropout
    with torch.no_grad():
        feats = model.backbone(torch.randn(1, 3, 224, 224))
    assert feats[-1].shape[-2:] == (7, 7)  # strides kept


def test_mobilenet_v2_gap_has_dropout_head():
    model = build('mobilenet_v2_gap_lrnorm')
    assert model.head.dropout.p == 0.2
    assert model.head.fc.in_features == 1280
