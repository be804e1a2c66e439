"""The paper's released checkpoints: the reference networks are built here
independently (torchvision + the GCP head, gcp_mm.testing), written as the
paper's script saved them (legacy format, optimizer state, CUDA storages),
converted, loaded into the zoo configs' models and compared on logits."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from gcp_mm.checkpoint import (
    CheckpointError,
    backbone_state_dict,
    detect_arch,
    read_state_dict,
    released_state_dict,
)
from gcp_mm.cli import convert_released_checkpoint
from gcp_mm.testing import reference_net, save_released

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'imagenet')

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
    config = convert_released_checkpoint(str(src), str(dst))
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
    convert_released_checkpoint(str(src), str(dst))
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
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'))
    message = str(err.value)
    assert 'unknown keys (1): extra.weight' in message
    assert 'missing keys (1): backbone.layer2.0.bn1.running_mean' in message


def test_other_head_layout_is_reported_not_loaded(tmp_path):
    # dimension_reduction read as Sequential(conv, BN, ReLU6); a layout with
    # the BN elsewhere must fail, naming the keys
    net = reference_net('mobilenet_v2', 'gcp')
    state = {'module.' + k: v for k, v in net.net.state_dict().items()}
    for name in ('weight', 'bias', 'running_mean', 'running_var',
                 'num_batches_tracked'):
        state[f'module.dimension_reduction.2.{name}'] = state.pop(
            f'module.dimension_reduction.1.{name}')
    src = tmp_path / 'other.pth.tar'
    torch.save(dict(state_dict=state), src,
               _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError,
                       match=r'unknown keys \(5\): dimension_reduction\.2\.'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'))


def test_shape_mismatch_is_listed(tmp_path):
    net = reference_net('shufflenet_v2', 'gcp')
    state = {'module.' + k: v for k, v in net.net.state_dict().items()}
    state['module.fc.bias'] = torch.zeros(10)
    src = tmp_path / 'bad.pth.tar'
    torch.save(dict(state_dict=state), src)
    with pytest.raises(CheckpointError,
                       match=r'shape mismatches \(1\): head.fc.bias: '
                       r'\(10,\) in .*, \(1000,\) in the model'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'))


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
                                    arch='resnet50')


def test_truncated_released_file_names_the_file(tmp_path):
    src = tmp_path / 'cut.pth.tar'
    save_released(reference_net('resnet18', 'gap'), src, 'resnet18')
    src.write_bytes(src.read_bytes()[:len(src.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match=r'cut\.pth\.tar.*truncated'):
        convert_released_checkpoint(str(src), str(tmp_path / 'o.pth'))


def test_backbone_state_dict_of_released_file(tmp_path):
    net = reference_net('resnet50', 'gcp')
    src = tmp_path / 'r50.pth.tar'
    save_released(net, src, 'resnet50')
    backbone, dropped = backbone_state_dict(read_state_dict(str(src)))
    reference = net.net.state_dict()
    head = {k for k in reference if k.startswith(('layer_reduce', 'fc.'))}
    assert set(dropped) == head
    assert set(backbone) == set(reference) - head
    for key, value in backbone.items():
        assert torch.equal(value, reference[key]), key


def test_command_line_tool(tmp_path, run_tool_here):
    """tools/convert_checkpoint.py's main() in-process; the tool runs as
    users run it, from the wheel, in tests/test_packaging.py."""
    src, dst = tmp_path / 'mb.pth.tar', tmp_path / 'mb.pth'
    save_released(reference_net('mobilenet_v2', 'gap'), src, 'mobilenet_v2')
    done = run_tool_here('convert_checkpoint.py', src, dst, check=False)
    assert done.returncode == 0, done.stderr
    assert 'mobilenet_v2_gap_lrnorm.py' in done.stdout
    missing = run_tool_here('convert_checkpoint.py',
                            tmp_path / 'nope.pth.tar', dst, check=False)
    assert missing.returncode != 0
    assert 'checkpoint file not found' in missing.stderr
