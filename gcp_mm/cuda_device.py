"""Whether this machine's NVIDIA GPU is one torch can use.

torch reports ``torch.cuda.is_available() == False`` both on a machine
without a GPU and on one whose driver is older than its CUDA build needs;
in the second case a training run would quietly fall back to the CPU (a
CPU AMP wrapper, a gloo process group). :func:`check_cuda_usable` turns
that case into one line naming the driver torch needs.
"""
import os
import re
from typing import Optional

import torch

from gcp_mm.errors import InputError

__all__ = ['CudaUnusableError', 'check_cuda_usable', 'default_device',
           'minimum_driver']

# The oldest Linux driver each CUDA major version runs on (NVIDIA's CUDA
# toolkit release notes, "minor version compatibility").
MINIMUM_DRIVER = {11: '450.80.02', 12: '525.60.13', 13: '580.65.06'}
DRIVER_FILE = '/proc/driver/nvidia/version'


class CudaUnusableError(InputError):
    """An NVIDIA GPU is visible but this torch cannot use it."""


def minimum_driver(torch_cuda: str) -> Optional[str]:
    """The oldest NVIDIA driver that runs CUDA ``torch_cuda`` ("13.0")."""
    return MINIMUM_DRIVER.get(int(torch_cuda.split('.')[0]))


def installed_driver(path: Optional[str] = None) -> Optional[str]:
    """The loaded NVIDIA kernel module's version ("535.104.05"), or None
    where no NVIDIA driver is loaded (no GPU, or not one torch could use
    whatever its build)."""
    try:
        with open(path or DRIVER_FILE) as f:
            text = f.read()
    except OSError:
        return None
    found = re.search(r'Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)', text)
    return found.group(1) if found else 'of unknown version'


def _gpus_hidden() -> bool:
    """CUDA_VISIBLE_DEVICES empty or -1: the user chose the CPU."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    return visible is not None and visible.strip() in ('', '-1')


def check_cuda_usable(driver: Optional[str] = None,
                      cuda_available: Optional[bool] = None,
                      torch_cuda: Optional[str] = '') -> None:
    """Raise :class:`CudaUnusableError` where an NVIDIA driver is loaded
    but torch cannot use its GPU, unless CUDA_VISIBLE_DEVICES hides the
    GPUs on purpose.

    Args:
        driver: the loaded driver's version (default: read from
            /proc/driver/nvidia/version; None: no driver).
        cuda_available: default ``torch.cuda.is_available()``.
        torch_cuda: torch's CUDA version, None for a CPU-only torch
            (default ``torch.version.cuda``).
    """
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    if cuda_available or _gpus_hidden():
        return
    if driver is None:
        driver = installed_driver()
    if driver is None:
        return
    if torch_cuda == '':
        torch_cuda = torch.version.cuda
    cpu_instead = 'or set CUDA_VISIBLE_DEVICES= to run on the CPU'
    if torch_cuda is None:
        raise CudaUnusableError(
            f'an NVIDIA GPU is visible (driver {driver}) but torch '
            f'{torch.__version__} is a CPU-only build: install a CUDA build '
            f'of torch, {cpu_instead}')
    needed = minimum_driver(torch_cuda)
    need = (f'NVIDIA driver {needed} or newer' if needed
            else 'a newer NVIDIA driver')
    raise CudaUnusableError(
        f'an NVIDIA GPU is visible but torch {torch.__version__} (CUDA '
        f'{torch_cuda}) cannot use it: it needs {need}, the loaded driver is '
        f'{driver}; update the driver, {cpu_instead}')


def default_device() -> str:
    """'cuda' where torch can use a GPU, else 'cpu'."""
    return 'cuda' if torch.cuda.is_available() else 'cpu'
