"""tools/deploy/export_onnx.py as users run it: a config, a checkpoint
file and an output path in; the exported file, the difference to PyTorch
on a real photo and both latencies out; one line and status 2 for a model
it cannot export."""
import re

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import gcp_mm  # noqa: F401
from gcp_mm.config_file import read_config

from ._configs import DIM, NECKS, tiny_config

TOOL = 'deploy/export_onnx.py'


@pytest.fixture(scope='module')
def config_and_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tool')
    config = tiny_config(str(folder), NECKS['newton_schulz'])
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(read_config(config).model)
    with torch.no_grad():  # scores far apart, so that top-1 is decided
        model.head.fc.weight.mul_(100.)
    checkpoint = folder / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return config, checkpoint


def test_exports_and_prints_the_difference_and_latencies(
        run_tool, config_and_checkpoint, tmp_path):
    config, checkpoint = config_and_checkpoint
    out = tmp_path / 'tiny.onnx'
    done = run_tool(TOOL, config, checkpoint, out, '--repeats', 2)
    assert out.is_file() and out.stat().st_size > 1e6  # ResNet-18 weights
    assert f'exported {out} (input 1x3x48x48, batch axis dynamic)' in \
        done.stdout
    diff = re.search(r'grace_hopper\.jpg: max \|diff\| (\S+) \((\S+) of the '
                     r'largest score\), top-1 agrees', done.stdout)
    assert diff, done.stdout
    assert float(diff.group(2)) < 1e-4
    assert re.search(r'latency, batch 1, CPU: PyTorch \d+\.\d ms, ONNX '
                     r'Runtime \d+\.\d ms', done.stdout), done.stdout


def test_refuses_eig_in_one_line(run_tool_here, tmp_path):
    """(pade's refusal in-process: test_onnx_export.py); the tool's main()
    in this interpreter, as the next test: the export above runs it as
    users do."""
    config = tiny_config(str(tmp_path), dict(reduced_channels=DIM,
                                             normalization='eig'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(read_config(config).model)
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    done = run_tool_here(TOOL, config, checkpoint, tmp_path / 'm.onnx',
                         check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 300, done.stderr
    assert lines[0].startswith("error: the config sets normalization='eig'")
    assert 'ONNX has no eigendecomposition' in lines[0]
    assert not (tmp_path / 'm.onnx').exists()


def test_missing_checkpoint_is_one_line(run_tool_here, config_and_checkpoint,
                                        tmp_path):
    config, _ = config_and_checkpoint
    done = run_tool_here(TOOL, config, tmp_path / 'nope.pth',
                         tmp_path / 'm.onnx', check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f'error: checkpoint not found: ' \
        f'{tmp_path / "nope.pth"}'
