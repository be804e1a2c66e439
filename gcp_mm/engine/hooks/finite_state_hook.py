"""The NaN guard's watch over the weights and buffers, and its veto on
saving a non-finite state."""
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.dist import is_distributed
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ..checkpoint_files import last_checkpoint
from ..errors import NonFiniteError
from ..finite import all_finite, first_non_finite, nested_tensors

LIKELY_CAUSE = ('likely cause: a learning rate too high for this batch '
                'size, or a corrupt batch')


def resume_advice(work_dir: str) -> str:
    """Where to go on from: the last good checkpoint (nothing non-finite
    is ever saved, so the last one is good)."""
    good = last_checkpoint(work_dir)
    if good is None:
        return 'no checkpoint was saved yet'
    return f'the last good checkpoint is {osp.basename(good)} (--resume)'


@HOOKS.register_module()
class FiniteStateHook(Hook):
    """Weights, buffers (BN statistics) and optimizer state never reach a
    checkpoint with NaN/Inf: before every save they are checked with fused
    norms, and a non-finite state stops the run with one line
    (:class:`~gcp_mm.engine.errors.NonFiniteError`) instead of being
    written, so ``last_checkpoint`` keeps naming a good file. Every
    ``interval`` training iterations the model's weights and buffers are
    checked too (one host sync then; under DDP the ranks' answers are
    combined), so a blow-up is caught within ``interval`` iterations, not
    at the next save. Gradients are the optimizer wrapper's part
    (``FiniteCheckOptimWrapper``, ``GuardedAmpOptimWrapper``).

    Args:
        interval: check the weights and buffers every N iterations.
    """

    priority = 'VERY_HIGH'  # before CheckpointHook's saves

    def __init__(self, interval: int = 10):
        if interval < 1:
            raise ValueError(f'FiniteStateHook: interval must be >= 1, got '
                             f'{interval}')
        self.interval = interval

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = self._model(runner)
        finite = all_finite(list(model.parameters()) + list(model.buffers()))
        if is_distributed():  # BN statistics may differ between ranks
            flag = finite.to(torch.float32).reshape(1)
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
            finite = flag[0] > 0
        if bool(finite):
            return
        where = first_non_finite(
            list(model.named_parameters()) + list(model.named_buffers()))
        raise NonFiniteError(
            f'non-finite weights or BN statistics after iteration '
            f'{runner.iter + 1} ({where or "on another rank"}); stopped, '
            f'nothing non-finite was saved: {resume_advice(runner.work_dir)}'
            f'; {LIKELY_CAUSE}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        parts = {key: checkpoint.get(key)
                 for key in ('state_dict', 'optimizer')}
        tensors = [t for _, t in nested_tensors(parts)]
        if bool(all_finite(tensors)):
            return
        where = first_non_finite(nested_tensors(parts))
        raise NonFiniteError(
            f'not saving a checkpoint at iteration {runner.iter + 1}: '
            f'{where} holds NaN/Inf; {resume_advice(runner.work_dir)}; '
            f'{LIKELY_CAUSE}')
