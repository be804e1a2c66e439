"""bfloat16 / float16 inputs for mmcv's CPU detection ops.

mmcv's compiled CPU kernels of ``nms`` and ``RoIAlign`` accept float32 and
float64 only, so Faster / Mask R-CNN under CPU autocast (``tools/train.py
--amp`` on a machine without CUDA) stops with "expected scalar type Float
but found BFloat16". These wrappers run those two ops (forward and backward) in
float32 when they get low-precision CPU tensors and return results in the
input's dtype, as the CUDA kernels do. Every other case (CUDA, float32,
float64) is untouched.
"""
import functools

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

    wrapper.gcp_mm_float32_on_cpu = True
    return wrapper


def enable_low_precision_cpu_inputs() -> None:
    """Patch ``NMSop`` and ``RoIAlignFunction`` once (idempotent); a no-op
    where mmcv was built without its compiled ops."""
    try:
        from mmcv.ops.nms import NMSop
        from mmcv.ops.roi_align import RoIAlignFunction
    except ImportError:
        return
    for function in (NMSop, RoIAlignFunction):
        for name in ('forward', 'backward'):
            method = getattr(function, name)
            if not getattr(method, 'gcp_mm_float32_on_cpu', False):
                setattr(function, name, staticmethod(_float32_on_cpu(method)))
