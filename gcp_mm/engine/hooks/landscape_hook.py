import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class LandscapeHook(Hook):
    """Loss landscape and gradient predictiveness during training
    (Santurkar et al. 2018; docs/reference.md section 5).

    Every ``interval`` training iterations (from the first), on that
    iteration's batch, with the weights before its optimizer step and the
    model in train mode, the network is split at the output X of
    ``split_module`` and, with ``g = dL/dX``, for ``num_steps`` step sizes
    eta evenly spaced in ``step_range`` it records

    * the loss landscape ``L(X + eta g)`` and
    * the gradient predictiveness ``||dL/dX(X + eta g) - g||_2`` (over the
      whole batch tensor).

    Training is left exactly as it would be without the hook: BN (and all
    other) buffers, the RNG states, parameter gradients and the optimizer
    are untouched, and every evaluation sees the same RNG state (the same
    dropout masks). Under AMP it runs in the optimizer wrapper's autocast
    context.

    Under DDP every rank measures, with the unwrapped model (DDP's gradient
    hooks are not involved), on its local batch and with its own BN batch
    statistics, like the reference's DataParallel chunks: L is the mean
    loss over the global batch (each rank's mean loss weighted by
    ``n_r / N``), X the global batch tensor, so each rank's part of g is
    ``(n_r / N)`` times its local gradient, the losses are summed over the
    ranks and the gradient-difference norm is taken over all ranks' parts
    (see :func:`measure_landscape`). All ranks must run the hook (they do:
    ``runner.iter`` is the same on all); rank 0 alone writes.

    Each measurement is one JSON line in ``<log_dir>/landscape.jsonl``
    (iter, step, epoch, lr, eta, loss, grad_diff) and the min/max of each
    quantity go to the visualizer backends (e.g. TensorBoard) as
    ``landscape/*`` scalars. ``iter`` is the 0-based iteration measured;
    ``step`` = iter + 1 is the step of the scalars, mmengine's step for the
    training loss of that same iteration (``LoggerHook`` logs it after the
    iteration, at ``runner.iter + 1``), so the two line up in TensorBoard.

    Args:
        interval (int): iterations between measurements. ResNet: 500,
            MobileNetV2: 1000 in the paper.
        split_module (str): name of the module whose output is X, as in
            ``model.named_modules()``. Default: the ResNet stem
            (conv1 + bn + relu + maxpool); MobileNetV2: 'backbone.conv1'.
        step_range (tuple): (a, b) of the step sizes; ResNet [0.1, 75],
            MobileNetV2 [0.045, 1.5].
        num_steps (int): number of step sizes. Defaults to 50.
        out_file (str): name of the JSON-lines file in the log dir.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 500,
                 split_module: str = 'backbone.maxpool',
                 step_range: Sequence[float] = (0.1, 75.0),
                 num_steps: int = 50,
                 out_file: str = 'landscape.jsonl'):
        if interval < 1 or num_steps < 1:
            raise ValueError('interval and num_steps must be >= 1')
        if len(step_range) != 2 or step_range[0] > step_range[1]:
            raise ValueError(f'step_range must be (a, b) with a <= b, got '
                             f'{step_range}')
        self.interval = interval
        self.split_module = split_module
        self.step_sizes = np.linspace(step_range[0], step_range[1],
                                      num_steps).tolist()
        self.out_file = out_file

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        # iterations 0, interval, 2 interval, ... (runner.iter counts the
        # finished ones: this is the iteration about to run). Every rank
        # measures: the measurement has collectives under DDP.
        if runner.iter % self.interval:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        with runner.optim_wrapper.optim_context(model):
            loss, grad_diff = measure_landscape(model, data_batch,
                                                self.split_module,
                                                self.step_sizes)
        if runner.rank != 0:
            return
        # LoggerHook logs an iteration's training loss after it, at step
        # runner.iter + 1; the measurement of the same iteration goes there
        step = runner.iter + 1
        record = dict(
            iter=runner.iter,
            step=step,
            epoch=runner.epoch,
            lr=float(runner.optim_wrapper.get_lr()['lr'][0]),
            eta=self.step_sizes,
            loss=loss,
            grad_diff=grad_diff)
        with open(osp.join(runner.log_dir, self.out_file), 'a') as f:
            f.write(json.dumps(record) + '\n')
        runner.visualizer.add_scalars(
            {
                'landscape/loss_min': min(loss),
                'landscape/loss_max': max(loss),
                'landscape/grad_diff_min': min(grad_diff),
                'landscape/grad_diff_max': max(grad_diff),
            },
            step=step)


def measure_landscape(model: torch.nn.Module, data_batch: dict,
                      split_module: str, step_sizes: Sequence[float]
                      ) -> Tuple[List[float], List[float]]:
    """Loss and gradient-difference lists along ``X + eta g``; restores
    the model's buffers, training mode and the RNG states afterwards.

    In a process group of several ranks (``torch.distributed`` initialised,
    world size > 1) every rank must call it, with the same ``step_sizes``
    and its local ``data_batch``: with ``n_r`` the local batch size (the
    first dimension of X) and ``N`` their sum over the ranks, the loss is
    ``sum_r (n_r / N) L_r`` (the mean over the global batch when each L_r
    is the local mean), g on rank r is its gradient, ``(n_r / N) dL_r/dX_r``,
    and the gradient difference is the norm over all ranks' parts. Each
    rank computes L_r on its own batch with its own BN statistics (with
    SyncBatchNorm the statistics are the global batch's, as in training).
    Every rank returns the same global values. Outside a process group
    (or with world size 1) it is the plain single-batch measurement.
    """
    modules = dict(model.named_modules())
    if split_module not in modules:
        raise ValueError(
            f'LandscapeHook: no module named {split_module!r} in '
            f'{type(model).__name__}; choose one of e.g. '
            f'{[n for n in modules if n.count(".") <= 1][:12]}')
    if len(step_sizes) == 0:
        raise ValueError('LandscapeHook: step_sizes is empty')
    distributed = dist.is_distributed() and dist.get_world_size() > 1
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    cpu_rng = torch.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() \
        else None
    was_training = model.training
    state = {}

    def replace_output(module, inputs, output):
        state['x'] = output
        return state.get('override', output)

    handle = modules[split_module].register_forward_hook(replace_output)

    def loss_and_grad(at=None):
        torch.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
        if at is not None:
            state['override'] = at
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        x = state['x'] if at is None else at
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f'LandscapeHook: the output of {split_module!r} is a '
                f'{type(x).__name__}, not a tensor; split at a module that '
                'returns one tensor')
        if distributed:
            if 'weight' not in state:  # n_r / N, found on the first pass
                sizes = torch.tensor([float(x.shape[0])],
                                     dtype=torch.float64, device=x.device)
                dist.all_reduce(sizes)
                state['weight'] = x.shape[0] / float(sizes.item())
            loss = loss * state['weight']
        grad, = torch.autograd.grad(loss, x)
        return loss.detach(), grad.detach()

    try:
        model.train()
        data = model.data_preprocessor(data_batch, True)
        _, grad = loss_and_grad()
        base = state['x'].detach()
        losses, grad_diffs = [], []
        for eta in step_sizes:
            shifted = (base + eta * grad).requires_grad_()
            loss, shifted_grad = loss_and_grad(shifted)
            losses.append(loss.to(torch.float64))
            grad_diffs.append(torch.linalg.vector_norm(
                shifted_grad - grad, dtype=torch.float64))
        # one host transfer (and under DDP one collective) for all of them
        losses, grad_diffs = torch.stack(losses), torch.stack(grad_diffs)
        if distributed:
            # local parts: weighted losses and squared norms, summed
            totals = torch.stack([losses, grad_diffs.square()])
            dist.all_reduce(totals)
            losses, grad_diffs = totals[0], totals[1].sqrt()
        losses, grad_diffs = losses.tolist(), grad_diffs.tolist()
    finally:
        handle.remove()
        model.train(was_training)
        with torch.no_grad():
            for name, buf in model.named_buffers():
                buf.copy_(buffers[name])
        torch.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
    return losses, grad_diffs
