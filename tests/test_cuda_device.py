"""gcp_mm.cuda_device: a visible NVIDIA GPU that torch cannot use (driver
too old, CPU-only torch) is one clear line, not a quiet run on the CPU."""
import os

import pytest
import torch

from gcp_mm import cuda_device
from gcp_mm.cuda_device import (
    CudaUnusableError,
    check_cuda_usable,
    installed_driver,
    minimum_driver,
)
from gcp_mm.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# /proc/driver/nvidia/version as drivers 535 and 580 (open module) write it
OLD_DRIVER = ('NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  '
              'Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 12\n')
OPEN_DRIVER = ('NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  '
               '580.82.07  Release Build  (dvs-builder@U16-I3-B03-4-3)\n')


@pytest.fixture(autouse=True)
def _gpus_not_hidden(monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)


def test_driver_version_is_read_from_the_kernel_module_line(tmp_path):
    path = tmp_path / 'version'
    path.write_text(OLD_DRIVER)
    assert installed_driver(str(path)) == '535.104.05'
    path.write_text(OPEN_DRIVER)
    assert installed_driver(str(path)) == '580.82.07'
    assert installed_driver(str(tmp_path / 'absent')) is None


def test_minimum_driver_per_cuda_major():
    assert minimum_driver('13.0') == '580.65.06'
    assert minimum_driver('12.8') == '525.60.13'
    assert minimum_driver('10.2') is None


def test_old_driver_names_the_driver_torch_needs():
    with pytest.raises(CudaUnusableError) as err:
        check_cuda_usable(driver='535.104.05', cuda_available=False,
                          torch_cuda='13.0')
    line = str(err.value)
    assert isinstance(err.value, InputError)
    assert 'needs NVIDIA driver 580.65.06 or newer' in line
    assert 'the loaded driver is 535.104.05' in line
    assert 'CUDA_VISIBLE_DEVICES=' in line
    assert '\n' not in line and len(line) < 300


def test_cpu_only_torch_beside_a_gpu_is_named():
    with pytest.raises(CudaUnusableError, match='is a CPU-only build'):
        check_cuda_usable(driver='580.82.07', cuda_available=False,
                          torch_cuda=None)


def test_no_driver_usable_cuda_or_hidden_gpus_pass(monkeypatch):
    check_cuda_usable(driver=None, cuda_available=False, torch_cuda='13.0')
    check_cuda_usable(driver='535.104.05', cuda_available=True,
                      torch_cuda='13.0')
    for hidden in ('', '-1'):
        monkeypatch.setenv('CUDA_VISIBLE_DEVICES', hidden)
        check_cuda_usable(driver='535.104.05', cuda_available=False,
                          torch_cuda='13.0')


def test_this_machine_passes():
    """No NVIDIA driver here, or one torch can use: nothing to say."""
    check_cuda_usable()


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='torch uses the GPU here: no old driver to fake')
def test_train_tool_stops_before_building(tmp_path, monkeypatch,
                                          run_tool_here):
    """tools/train.py's main() in this interpreter, its driver file faked,
    ends with the one line and status 2 before any model or data is built
    (train.py as a real process: tests/test_tools)."""
    driver = tmp_path / 'version'
    driver.write_text(OLD_DRIVER)
    monkeypatch.setattr(cuda_device, 'DRIVER_FILE', str(driver))
    done = run_tool_here('train.py',
                         os.path.join(ROOT, 'configs',
                                      'faster_rcnn_r50_gcpm.py'),
                         '--work-dir', tmp_path / 'work', check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith('error: an NVIDIA GPU is visible but torch')
    assert f'torch {torch.__version__} (CUDA {torch.version.cuda})' in (
        lines[0])
    assert not (tmp_path / 'work').exists()


def test_default_device_follows_torch(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert cuda_device.default_device() == 'cpu'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert cuda_device.default_device() == 'cuda'
