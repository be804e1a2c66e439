"""Every ImageNet config builds its model, which runs forward, and has the
reference architecture and initialisation of docs/reference.md section 2
(the reference networks are built independently in gcp_mm.testing)."""
import math

import pytest
import torch
from mmpretrain.registry import MODELS

from gcp_mm.checkpoint import convert_released_state_dict
from gcp_mm.models import DropoutLinearClsHead, GlobalCovariancePooling
from gcp_mm.testing import reference_net

from .test_imagenet_configs import CONFIGS, load


def build(name):
    model = MODELS.build(load(name).model)
    model.init_weights()
    return model.eval()


# one forward per (architecture, head): the schedule does not touch the model
MODEL_CONFIGS = sorted({n for n in CONFIGS if n.endswith('_lrnorm')})


@pytest.mark.parametrize('name', MODEL_CONFIGS)
def test_schedules_share_the_model(name):
    """The three schedules of an (arch, head) differ in their recipe only."""
    prefix = name[:-len('lrnorm')]
    models = [load(prefix + sched).model for sched in ('lrnorm', 'lrfast',
                                                       'lradju')]
    assert models[0] == models[1] == models[2]


def _arch_head(name):
    return name.split('_lr')[0].rsplit('_', 1)


@pytest.mark.parametrize('name', MODEL_CONFIGS)
def test_builds_runs_forward_and_matches_the_reference(name):
    """The model builds and runs forward (finite logits). Every tensor of
    the reference network has its counterpart of the same shape (through
    the released-key mapping), and every parameter is drawn as the
    reference draws it: constants equal, random tensors with the same mean
    and standard deviation and the same distribution family (uniform:
    max|w| about sqrt(3) std; normal: about 3 std and more). One build per
    config serves both."""
    arch, head = _arch_head(name)
    model = build(name)
    with torch.no_grad():  # eval mode: no BN statistic changes
        logits = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert logits.shape == (2, 1000)
    assert torch.isfinite(logits).all()
    ours = model.state_dict()
    reference = reference_net(arch, head, randomize=False).net
    theirs = convert_released_state_dict(reference.state_dict(), ours, arch)
    params = {n for n, _ in model.named_parameters()}
    for key in sorted(params):
        mine, ref = ours[key].double(), theirs[key].double()
        if torch.all(ref == ref.flatten()[0]):
            assert torch.equal(mine, ref), key
            continue
        n = ref.numel()
        std_mine, std_ref = mine.std().item(), ref.std().item()
        tolerance = 6 / math.sqrt(2 * n) + 0.02
        assert abs(std_mine / std_ref - 1) < tolerance, (
            f'{key}: std {std_mine:.4g}, reference {std_ref:.4g}')
        assert abs(mine.mean().item() - ref.mean().item()) < \
            6 * std_ref / math.sqrt(n), key
        if n >= 1000:
            uniform = [t.abs().max().item() / t.std().item() < 2.2
                       for t in (mine, ref)]
            assert uniform[0] == uniform[1], (
                f'{key}: {"uniform" if uniform[0] else "normal"} draw, '
                f'reference {"uniform" if uniform[1] else "normal"}')


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
        feats = model.backbone(torch.randn(1, 3, 64, 64))
    # output stride 16 (last stage at stride 1); 64 px tells 16 from 32
    assert feats[-1].shape[-2:] == (64 // 16, 64 // 16)
    # torchvision's init: no zero-initialised residual BN
    last_bn = model.backbone.layer1[0].norm2 if depth == 18 else \
        model.backbone.layer1[0].norm3
    assert torch.equal(last_bn.weight, torch.ones_like(last_bn.weight))


def test_gap_resnet_keeps_stride_two():
    model = build('resnet18_gap_lrnorm')
    with torch.no_grad():
        feats = model.backbone(torch.randn(1, 3, 64, 64))
    assert feats[-1].shape[-2:] == (64 // 32, 64 // 32)  # output stride 32
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
        feats = model.backbone(torch.randn(1, 3, 64, 64))
    assert feats[-1].shape[-2:] == (64 // 32, 64 // 32)  # strides kept


def test_mobilenet_v2_gap_has_dropout_head():
    model = build('mobilenet_v2_gap_lrnorm')
    assert model.head.dropout.p == 0.2
    assert model.head.fc.in_features == 1280
