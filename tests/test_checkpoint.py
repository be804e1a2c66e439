"""Released-checkpoint conversion: reference networks are built here
independently (torchvision + the GCP head of REFERENCE.md section 2), saved
in the released format, converted, loaded into our configs' models and
compared on logits."""
import os
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torchvision
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from benchmarks.isqrt_cov import plain_isqrt_cov
from gcp_mm.checkpoint import (
    CheckpointError,
    convert_released_checkpoint,
    detect_arch,
    released_state_dict,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'imagenet')


def gcp_reduction(in_channels, dim, act):
    return nn.Sequential(
        nn.Conv2d(in_channels, dim, 1, bias=False), nn.BatchNorm2d(dim), act)


class ReferenceResNet(nn.Module):
    """torchvision ResNet; GCP: layer4 at stride 1 + layer_reduce(_bn)."""

    def __init__(self, depth, dim=None):
        super().__init__()
        net = getattr(torchvision.models, f'resnet{depth}')()
        self.gcp = dim is not None
        if self.gcp:
            block = net.layer4[0]
            strided = block.conv2 if hasattr(block, 'conv3') else block.conv1
            strided.stride = (1, 1)
            block.downsample[0].stride = (1, 1)
            channels = net.fc.in_features
            net.layer_reduce = nn.Conv2d(channels, dim, 1, bias=False)
            net.layer_reduce_bn = nn.BatchNorm2d(dim)
            net.fc = nn.Linear(dim * (dim + 1) // 2, 1000)
        self.net = net

    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        if self.gcp:
            x = plain_isqrt_cov(torch.relu(n.layer_reduce_bn(
                n.layer_reduce(x))))
        else:
            x = x.mean((2, 3))
        return n.fc(x)


class ReferenceMobileNetV2(nn.Module):

    def __init__(self, dim=None):
        super().__init__()
        net = torchvision.models.mobilenet_v2()
        self.gcp = dim is not None
        if self.gcp:
            net.dimension_reduction = gcp_reduction(1280, dim, nn.ReLU6())
            net.classifier = nn.Sequential(
                nn.Dropout(0.2), nn.Linear(dim * (dim + 1) // 2, 1000))
        self.net = net

    def forward(self, x):
        x = self.net.features(x)
        if self.gcp:
            x = plain_isqrt_cov(self.net.dimension_reduction(x))
        else:
            x = x.mean((2, 3))
        return self.net.classifier(x)


class ReferenceShuffleNetV2(nn.Module):

    def __init__(self, dim=None):
        super().__init__()
        net = torchvision.models.shufflenet_v2_x1_0()
        self.gcp = dim is not None
        if self.gcp:
            net.dimension_reduction = gcp_reduction(1024, dim, nn.ReLU6())
            net.fc = nn.Linear(dim * (dim + 1) // 2, 1000)
        self.net = net

    def forward(self, x):
        n = self.net
        x = n.conv5(n.stage4(n.stage3(n.stage2(n.maxpool(n.conv1(x))))))
        if self.gcp:
            x = plain_isqrt_cov(n.dimension_reduction(x))
        else:
            x = x.mean((2, 3))
        return n.fc(x)


def reference_net(arch, head):
    dim = {'gap': None, 'gcp': 256, 'gcp128': 128}[head]
    if arch.startswith('resnet'):
        net = ReferenceResNet(int(arch[6:]), dim)
    elif arch == 'mobilenet_v2':
        net = ReferenceMobileNetV2(dim)
    else:
        net = ReferenceShuffleNetV2(dim)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # random weights and BN statistics
        for name, tensor in net.state_dict().items():
            if name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            elif tensor.is_floating_point():
                tensor.copy_(
                    torch.randn(tensor.shape, generator=gen) * 0.1)
    return net.eval()


def save_released(net, path, arch):
    state = {'module.' + k: v for k, v in net.net.state_dict().items()}
    torch.save(
        dict(epoch=100, arch=arch, state_dict=state,
             best_acc1=torch.tensor(75.0), optimizer={}), path)


CASES = [(arch, head)
         for arch in ('resnet18', 'resnet34', 'resnet50', 'resnet101',
                      'mobilenet_v2', 'shufflenet_v2')
         for head in ('gap', 'gcp')] + [('resnet50', 'gcp128'),
                                        ('mobilenet_v2', 'gcp128')]


@pytest.mark.parametrize('arch,head', CASES)
def test_converted_weights_reproduce_reference_logits(tmp_path, arch, head):
    net = reference_net(arch, head)
    src, dst = tmp_path / 'released.pth.tar', tmp_path / 'converted.pth'
    save_released(net, src, arch)
    config = convert_released_checkpoint(str(src), str(dst), CONFIG_DIR)
    assert os.path.basename(config) == f'{arch}_{head}_lrnorm.py'
    model = MODELS.build(Config.fromfile(config).model).eval()
    load_checkpoint(model, str(dst), strict=True)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        expected = net(x)
        logits = model(x, mode='tensor')
    assert (logits - expected).abs().max().item() < 1e-4


def test_pretrained_init_cfg_loads_converted_file(tmp_path):
    net = reference_net('resnet18', 'gcp')
    src, dst = tmp_path / 'r18.pth.tar', tmp_path / 'r18.pth'
    save_released(net, src, 'resnet18')
    convert_released_checkpoint(str(src), str(dst), CONFIG_DIR)
    cfg = Config.fromfile(os.path.join(CONFIG_DIR,
                                       'resnet18_gcp_lrnorm.py')).model
    cfg.init_cfg = dict(type='Pretrained', checkpoint=str(dst))
    model = MODELS.build(cfg)
    model.init_weights()
    torch.testing.assert_close(model.neck.reduction[0].weight,
                               net.net.layer_reduce.weight)
    torch.testing.assert_close(model.head.fc.bias, net.net.fc.bias)


def test_detects_every_architecture():
    for arch, head in CASES:
        state = reference_net(arch, head).net.state_dict()
        assert detect_arch(state) == (arch, head)


def test_unknown_and_missing_keys_are_listed(tmp_path):
    net = reference_net('resnet18', 'gcp')
    state = {'module.' + k: v for k, v in net.net.state_dict().items()}
    state['module.extra.weight'] = torch.zeros(3)
    del state['module.layer2.0.bn1.running_mean']
    src = tmp_path / 'bad.pth.tar'
    torch.save(dict(state_dict=state), src)
    with pytest.raises(CheckpointError) as err:
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'),
                                    CONFIG_DIR)
    message = str(err.value)
    assert 'unknown keys (1): extra.weight' in message
    assert 'missing keys (1): backbone.layer2.0.bn1.running_mean' in message


def test_shape_mismatch_is_listed(tmp_path):
    net = reference_net('shufflenet_v2', 'gcp')
    state = {'module.' + k: v for k, v in net.net.state_dict().items()}
    state['module.fc.bias'] = torch.zeros(10)
    src = tmp_path / 'bad.pth.tar'
    torch.save(dict(state_dict=state), src)
    with pytest.raises(CheckpointError,
                       match=r'shape mismatches \(1\): head.fc.bias: '
                       r'\(10,\) in .*, \(1000,\) in the model'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'),
                                    CONFIG_DIR)


def test_foreign_checkpoint_matches_no_architecture():
    state = released_state_dict(
        {'state_dict': {'module.encoder.weight': torch.zeros(2)}})
    with pytest.raises(CheckpointError, match='matches none of resnet18'):
        detect_arch(state)


def test_requested_arch_must_agree(tmp_path):
    net = reference_net('resnet18', 'gap')
    src = tmp_path / 'r18.pth.tar'
    save_released(net, src, 'resnet18')
    with pytest.raises(CheckpointError, match="not the requested arch"):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'),
                                    CONFIG_DIR, arch='resnet50')


@pytest.mark.parametrize('content', [b'', b'not a checkpoint at all'])
def test_corrupt_file_error_names_the_file(tmp_path, content):
    src = tmp_path / 'broken.pth.tar'
    src.write_bytes(content)
    with pytest.raises(CheckpointError, match='broken.pth.tar'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'),
                                    CONFIG_DIR)


def test_truncated_file_error_names_the_file(tmp_path):
    src = tmp_path / 'cut.pth.tar'
    save_released(reference_net('resnet18', 'gap'), src, 'resnet18')
    src.write_bytes(src.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match='cut.pth.tar.*corrupt'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'),
                                    CONFIG_DIR)


def test_command_line_tool(tmp_path):
    src, dst = tmp_path / 'mb.pth.tar', tmp_path / 'mb.pth'
    save_released(reference_net('mobilenet_v2', 'gap'), src, 'mobilenet_v2')
    tool = os.path.join(ROOT, 'tools', 'convert_checkpoint.py')
    done = subprocess.run([sys.executable, tool, str(src), str(dst)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'mobilenet_v2_gap_lrnorm.py' in done.stdout
    missing = subprocess.run(
        [sys.executable, tool, str(tmp_path / 'nope.pth.tar'), str(dst)],
        capture_output=True, text=True)
    assert missing.returncode != 0
    assert 'checkpoint file not found' in missing.stderr


def test_mmengine_training_checkpoint_loads(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer

    from gcp_mm.checkpoint import load_checkpoint_file
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)},
                    message_hub=dict(log_scalars={
                        'loss': HistoryBuffer(np.array([1.0]), np.array([1]))
                    })), path)
    assert torch.equal(load_checkpoint_file(str(path))['state_dict']['w'],
                       torch.ones(2))


class _Payload:
    pass


def test_checkpoint_with_foreign_objects_is_refused(tmp_path):
    from gcp_mm.checkpoint import load_checkpoint_file
    path = tmp_path / 'odd.pth'
    torch.save(dict(state_dict={}, extra=_Payload()), path)
    with pytest.raises(CheckpointError, match=r'odd.pth.*_Payload'):
        load_checkpoint_file(str(path))
