from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from gcp_mm.compat import low_precision_cpu_inputs


@OPTIM_WRAPPERS.register_module()
class FiniteCheckOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that never lets NaN/Inf into the weights.

    Before each optimizer step the gradients are checked (one fused norm
    over all of them; under DDP they are already all-reduced, so every rank
    decides alike). A non-finite gradient, which a NaN/Inf loss or
    activation always produces, raises ``FloatingPointError`` before the
    step: parameters and optimizer state stay as they were. Training stops
    rather than skipping the batch, because that iteration's forward pass
    has already updated BN running statistics with the bad values; resume
    from the last checkpoint after fixing the cause.
    """

    def _grads_finite(self) -> bool:
        grads = [
            p.grad for group in self.optimizer.param_groups
            for p in group['params'] if p.grad is not None
        ]
        if not grads:
            return True
        norms = torch._foreach_norm(grads)
        return bool(torch.isfinite(torch.stack(norms).sum()))

    def step(self, **kwargs) -> None:
        if not self._grads_finite():
            raise FloatingPointError(
                'non-finite gradients: the loss or an activation was NaN/Inf '
                'in this iteration, so the weights were not updated. Check '
                'the batch for corrupt inputs or lower the learning rate, '
                'then resume from the last checkpoint (this forward pass '
                'may have put NaN into BN running statistics).')
        super().step(**kwargs)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(FiniteCheckOptimWrapper):
    """Mixed precision on the CPU: the forward runs under
    ``torch.autocast('cpu', dtype)`` (bfloat16 by default, which needs no
    loss scaling). mmengine's ``AmpOptimWrapper`` is CUDA-only. The
    iSQRT-COV matrix functions stay in float32 inside autocast.

    mmcv's CPU ``nms`` / ``RoIAlign`` kernels have no low-precision
    version: within this wrapper's forward and backward they take
    bfloat16/float16 inputs (``gcp_mm.compat.low_precision_cpu_inputs``),
    and they are restored after each."""

    def __init__(self, *args, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype), low_precision_cpu_inputs():
            yield

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        with low_precision_cpu_inputs():
            super().backward(loss, **kwargs)
