"""GCPResNet (GCP_D / GCP_M) against torchvision ResNets carrying the same
weights (docs/reference.md section 7)."""
import copy
import os
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

import gcp_mm  # noqa: F401
from gcp_mm.checkpoint import CheckpointError
from gcp_mm.models import GCPResNet
from gcp_mm.testing import reference_net, save_released

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def torchvision_stages(net, x):
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    outs = []
    for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
        x = layer(x)
        outs.append(x)
    return outs


def gcp_reference(depth):
    """A torchvision ResNet with the GCP head, last stage at stride 1."""
    return reference_net(f'resnet{depth}', 'gcp')


@pytest.mark.parametrize('variant', ['D', 'M'])
@pytest.mark.parametrize('depth', [18, 50])
def test_c2_to_c5_at_strides_4_to_32(variant, depth):
    model = GCPResNet(depth=depth, variant=variant).eval()  # returns self
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 96, 160))
    assert [o.shape[-2:] for o in outs] == [(24, 40), (12, 20), (6, 10),
                                            (3, 5)]
    expansion = 4 if depth == 50 else 1
    assert [o.shape[1] for o in outs] == [
        64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion
    ]


def test_odd_sizes_match_between_variants():
    shapes = []
    for variant in 'DM':
        model = GCPResNet(depth=18, variant=variant).eval()
        with torch.no_grad():
            shapes.append([o.shape for o in model(torch.randn(1, 3, 75, 99))])
    assert shapes[0] == shapes[1]


def test_last_stage_strides():
    d, m = GCPResNet(depth=50, variant='D'), GCPResNet(depth=50, variant='M')
    assert d.layer4[0].conv2.stride == (2, 2)
    assert m.layer4[0].conv2.stride == (1, 1)
    assert m.layer4[0].downsample[0].stride == (1, 1)


def test_keeps_mmdet_resnet_options():
    model = GCPResNet(depth=50, variant='M', out_indices=(1, 3),
                      frozen_stages=1, norm_eval=True, with_cp=True)
    model.train()
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert not model.bn1.training  # norm_eval
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[-1] for o in outs] == [8, 2]


@pytest.fixture(scope='module')
def released_r50(tmp_path_factory):
    """A GCP ResNet-50 saved as the paper released it, and converted."""
    from gcp_mm.cli import convert_released_checkpoint
    folder = tmp_path_factory.mktemp('released')
    wrapper = gcp_reference(50)
    released = str(folder / 'released.pth.tar')
    save_released(wrapper, released, 'resnet50')  # legacy, as released
    converted = str(folder / 'converted.pth')
    convert_released_checkpoint(released, converted)
    return wrapper, released, converted


def test_released_file_is_refused_with_the_conversion(released_r50):
    _, released, _ = released_r50
    model = GCPResNet(depth=50, variant='M', init_cfg=dict(
        type='Pretrained', checkpoint=released))
    before = model.layer1[0].conv1.weight.detach().clone()
    with pytest.raises(CheckpointError, match=r'^convert .*released\.pth\.'
                       r'tar with tools/convert_checkpoint\.py first: it '
                       r'looks like a released resnet50 gcp file'):
        model.init_weights()
    torch.testing.assert_close(model.layer1[0].conv1.weight, before,
                               rtol=0, atol=0)


@pytest.mark.parametrize('variant', ['D', 'M'])
def test_loads_converted_released_weights_and_matches_torchvision(
        released_r50, variant):
    wrapper, _, converted = released_r50
    reference = copy.deepcopy(wrapper.net)
    model = MODELS.build(
        dict(type='GCPResNet', depth=50, variant=variant,
             init_cfg=dict(type='Pretrained', checkpoint=converted)))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        ours = model(x)
        if variant == 'D':  # downsampling restored in the reference net
            reference.layer4[0].conv2.stride = (2, 2)
            reference.layer4[0].downsample[0].stride = (2, 2)
        expected = torchvision_stages(reference, x)
    if variant == 'M':
        expected[3] = F.max_pool2d(expected[3], 2, 2, ceil_mode=True)
    for got, want in zip(ours, expected):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_loads_converted_mmpretrain_checkpoint_and_logs_dropped_keys(
        tmp_path):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS as CLS_MODELS
    classifier = CLS_MODELS.build(
        Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                     'resnet18_gcp_lrnorm.py')).model)
    path = tmp_path / 'converted.pth'
    torch.save(dict(state_dict=classifier.state_dict()), path)
    model = GCPResNet(depth=18, variant='M',
                      init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with mock.patch('gcp_mm.models.backbones.gcp_resnet.print_log') as log:
        model.init_weights()
    torch.testing.assert_close(model.layer3[1].conv2.weight,
                               classifier.backbone.layer3[1].conv2.weight)
    log = log.call_args.args[0]
    assert 'dropped' in log and 'neck.reduction.0.weight' in log
    assert 'head.fc.weight' in log


def test_unfitting_checkpoint_lists_keys(tmp_path):
    reference = gcp_reference(18).net
    # a ResNet-18 classifier in gcp-mm's names, with one key too many
    state = {('head.' if k.startswith('fc.') else 'backbone.') + k: v
             for k, v in reference.state_dict().items()
             if not k.startswith('layer_reduce')}
    state['neck.reduction.0.weight'] = torch.zeros(256, 512, 1, 1)
    state['backbone.layer5.0.conv1.weight'] = torch.zeros(1)
    path = tmp_path / 'odd.pth'
    torch.save(dict(state_dict=state), path)
    model = GCPResNet(depth=50, variant='M',
                      init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointError) as err:
        model.init_weights()
    message = str(err.value)
    assert 'unknown keys' in message and 'layer5.0.conv1.weight' in message
    assert 'missing keys' in message and 'layer1.0.conv3.weight' in message
    assert 'shape mismatches' in message


def test_missing_checkpoint_says_what_to_set(tmp_path):
    model = GCPResNet(depth=50, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'resnet50_gcp.pth')))
    with pytest.raises(FileNotFoundError,
                       match=r'resnet50_gcp.pth.*tools/convert_checkpoint.py'
                       r'.*model.backbone.init_cfg.checkpoint'):
        model.init_weights()


def test_unknown_variant():
    with pytest.raises(ValueError, match="variant must be 'D' or 'M'"):
        GCPResNet(depth=50, variant='X')
