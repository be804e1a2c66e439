from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from gcp_mm.compat import low_precision_cpu_inputs

from .errors import NonFiniteError, NonFiniteGradients
from .finite import all_finite


@OPTIM_WRAPPERS.register_module()
class FiniteCheckOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that never lets NaN/Inf into the weights.

    Before each optimizer step the gradients are checked (one fused max-abs
    norm over all of them, ``engine.finite.all_finite``; under DDP they are
    already all-reduced, so every rank decides alike). A non-finite
    gradient, which a NaN/Inf loss or activation always produces, raises
    :class:`~gcp_mm.engine.errors.NonFiniteError` (a
    ``FloatingPointError``) before the step; large but finite gradients
    pass. Parameters and optimizer state stay as they were. Training stops
    rather than skipping the batch, because that iteration's forward pass
    has already updated BN running statistics with the bad values; resume
    from the last checkpoint after fixing the cause.
    """

    def step(self, **kwargs) -> None:
        # max-abs norms: large but finite gradients pass (an L2 norm of
        # values near 1e20 overflows float32)
        if not bool(all_finite(
                p.grad for group in self.optimizer.param_groups
                for p in group['params'] if p.grad is not None)):
            raise NonFiniteGradients(
                'non-finite gradients: the loss or an activation was NaN/Inf '
                'in this iteration, so the weights were not updated; lower '
                'the learning rate or check the batch for corrupt inputs, '
                'then resume from the last checkpoint')
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


@OPTIM_WRAPPERS.register_module()
class GuardedAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` (fp16 with a loss scaler) that does
    not go on learning nothing. A step the scaler skips (non-finite scaled
    gradients) is normal now and then; ``max_skipped_steps`` skipped in a
    row, or a loss scale fallen below ``min_loss_scale``, means a
    persistent NaN/Inf (a poisoned BN statistic, a diverged run), and stops
    the run with one line (:class:`~gcp_mm.engine.errors.NonFiniteError`).

    The skips are counted on the device and read every ``check_interval``
    steps, so there is no host sync per step. Unlike mmengine's wrapper it
    also runs on the CPU (``torch.amp.GradScaler('cpu')`` and float16
    autocast), where its logic is tested.

    Args:
        loss_scale: 'dynamic' (default), a float (static) or GradScaler's
            arguments, as mmengine's.
        dtype: the autocast type, float16 by default.
        device: 'cuda' when available, else 'cpu', by default.
        max_skipped_steps: consecutive skipped steps that stop the run.
        min_loss_scale: the floor of the dynamic loss scale (from the
            initial 65536, 17 halvings in a row go below 1).
        check_interval: read the counters every N steps.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype] = 'float16',
                 device: Optional[str] = None,
                 max_skipped_steps: int = 100,
                 min_loss_scale: float = 1.0,
                 check_interval: int = 10,
                 **kwargs):
        OptimWrapper.__init__(self, **kwargs)  # AmpOptimWrapper: CUDA only
        self.device = device or ('cuda' if torch.cuda.is_available() else
                                 'cpu')
        self._scale_update_param = None
        if loss_scale == 'dynamic':
            self.loss_scaler = torch.amp.GradScaler(self.device)
        elif isinstance(loss_scale, (int, float)):
            self._scale_update_param = float(loss_scale)
            self.loss_scaler = torch.amp.GradScaler(
                self.device, init_scale=float(loss_scale))
        elif isinstance(loss_scale, dict):
            self.loss_scaler = torch.amp.GradScaler(self.device,
                                                    **loss_scale)
        else:
            raise TypeError('loss_scale must be "dynamic", a float or a '
                            f'dict, not {loss_scale!r}')
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype
        self.max_skipped_steps = max_skipped_steps
        self.min_loss_scale = min_loss_scale
        self.check_interval = check_interval
        self._skipped_in_a_row = torch.zeros((), dtype=torch.int64,
                                             device=self.device)
        self._steps = 0

    def step(self, **kwargs) -> None:
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        # found_inf is the scaler's own verdict for this step (a device
        # tensor, filled by unscale_), gone after update()
        found = sum(self.loss_scaler._found_inf_per_device(
            self.optimizer).values())
        self.loss_scaler.update(self._scale_update_param)
        self._skipped_in_a_row = (self._skipped_in_a_row + 1) * (found > 0)
        self._steps += 1
        if self._steps % self.check_interval == 0:
            self.check_progress()

    def check_progress(self) -> None:
        """Stop when the scaler has skipped too many steps in a row or its
        scale fell below the floor (reads two numbers from the device)."""
        skipped = int(self._skipped_in_a_row)
        scale = self.loss_scaler.get_scale()
        if skipped >= self.max_skipped_steps:
            problem = (f'the last {skipped} steps were all skipped by the '
                       'fp16 loss scaler (non-finite gradients)')
        elif self._scale_update_param is None and \
                scale < self.min_loss_scale:
            problem = (f'the fp16 loss scale fell to {scale:g}, below '
                       f'{self.min_loss_scale:g}')
        else:
            return
        raise NonFiniteError(
            f'{problem}: the run learns nothing; a NaN/Inf persists in the '
            'weights, BN statistics or the loss; lower the learning rate or '
            'train without --amp, then resume from the last checkpoint')

    @contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model), torch.autocast(
                self.device, dtype=self.cast_dtype):
            yield
