"""bfloat16 / float16 inputs for mmcv's CPU detection ops.

mmcv's compiled CPU kernels of ``nms`` and ``RoIAlign`` accept float32 and
float64 only, so Faster / Mask R-CNN under CPU autocast (``tools/train.py
--amp`` on a machine without CUDA) stops with "expected scalar type Float
but found BFloat16". These wrappers run those two ops (forward and backward) in
float32 when they get low-precision CPU tensors and return results in the
input's dtype, as the CUDA kernels do. Every other case (CUDA, float32,
float64) is untouched, and so is everything outside
:func:`low_precision_cpu_inputs`.
"""
import contextlib
import functools
from typing import Iterator

import torch

_LOW_PRECISION = (torch.bfloat16, torch.float16)


def _float32_on_cpu(method):
    """Run ``method`` (a Function's forward or backward) in float32 for
    low-precision CPU tensors; floating results go back to that dtype, as
    the CUDA kernels return the input's dtype."""

    @functools.wraps(method)
    def wrapper(ctx, *args, **kwargs):
        low = next((a.dtype for a in args if torch.is_tensor(a)
                    and a.device.type == 'cpu' and a.dtype in _LOW_PRECISION),
                   None)
        if low is None:
            return method(ctx, *args, **kwargs)
        args = tuple(a.float() if torch.is_tensor(a) and a.dtype == low else a
                     for a in args)
        result = method(ctx, *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(r.to(low) if torch.is_tensor(r)
                         and r.is_floating_point() else r for r in result)
        return result.to(low) if result.is_floating_point() else result

    return wrapper


_active = 0  # nesting depth of low_precision_cpu_inputs()
_originals: dict = {}


def _functions():
    try:
        from mmcv.ops.nms import NMSop
        from mmcv.ops.roi_align import RoIAlignFunction
    except ImportError:  # mmcv without its compiled ops
        return ()
    return (NMSop, RoIAlignFunction)


@contextlib.contextmanager
def low_precision_cpu_inputs() -> Iterator[None]:
    """Within the block, ``NMSop`` and ``RoIAlignFunction`` take
    low-precision CPU tensors; on leaving the outermost block they are
    restored. Autograd looks ``backward`` up when it runs, so the block
    must hold the backward pass too (``CPUAmpOptimWrapper`` enters it for
    its forward and its backward)."""
    global _active
    if _active == 0:
        for function in _functions():
            for name in ('forward', 'backward'):
                # None: inherited (NMSop has no backward of its own)
                _originals[(function, name)] = function.__dict__.get(name)
                setattr(function, name, staticmethod(
                    _float32_on_cpu(getattr(function, name))))
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0:
            for (function, name), method in _originals.items():
                if method is None:
                    delattr(function, name)
                else:
                    setattr(function, name, method)
            _originals.clear()
