"""SIGTERM and SIGINT pause a run instead of losing it."""
import os
import os.path as osp
import signal
import sys
import threading

import torch
import torch.distributed as dist
from mmengine.dist import is_distributed, is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..checkpoint_files import BACKEND, last_checkpoint, point_last_checkpoint
from ..errors import TrainingInterrupted

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """The first SIGTERM (what Slurm and preemptible clusters send) or
    SIGINT (Ctrl-C) lets the iteration in progress finish; then a
    resumable checkpoint of exactly that state is saved atomically
    (``iter_<N>.pth``, which ``last_checkpoint`` then names) and
    :class:`~gcp_mm.engine.errors.TrainingInterrupted` ends the run
    (``tools/train.py`` prints the ``--resume`` command and exits with
    128 + the signal: 143, 130). A second SIGINT exits at once (status
    130), without saving.

    Under DDP the ranks agree on the iteration to stop after: each
    iteration starts a non-blocking all-reduce of the ranks' flags (on a
    gloo group, no device sync) and reads the previous iteration's, so all
    ranks stop after the same iteration, one after the signal at most.
    """

    priority = 'LOWEST'  # after every other hook's after_train_iter

    def __init__(self):
        self._signal = None
        self._work_dir = None
        self._previous = {}
        self._group = None
        self._pending = None

    def _handle(self, signum, frame) -> None:
        if self._signal is not None and signum == signal.SIGINT:
            print(f'second interrupt: stopped without saving; the last '
                  f'checkpoint is {last_checkpoint(self._work_dir) or "none"}',
                  file=sys.stderr,
                  flush=True)
            os._exit(128 + signum)
        if self._signal is None:
            self._signal = signum
            print(f'{signal.Signals(signum).name}: finishing this iteration, '
                  'then saving a checkpoint (Ctrl-C again stops at once, '
                  'without saving)', file=sys.stderr, flush=True)

    def before_train(self, runner) -> None:
        self._work_dir = runner.work_dir
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        if is_distributed():
            self._group = dist.new_group(backend='gloo')
            self._flag = torch.zeros(1)

    def after_train(self, runner) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _stop_now(self) -> bool:
        """Whether every rank stops after this iteration."""
        if self._group is None:
            return self._signal is not None
        agreed = False
        if self._pending is not None:
            self._pending.wait()  # started an iteration ago: done by now
            agreed = bool(self._flag[0] > 0)
        if agreed:
            return True
        self._flag[0] = float(self._signal is not None)
        self._pending = dist.all_reduce(self._flag, op=dist.ReduceOp.MAX,
                                        group=self._group, async_op=True)
        return False

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not self._stop_now():
            return
        signum = self._signal or signal.SIGTERM  # another rank's signal
        filename = f'iter_{runner.iter + 1}.pth'
        # by_epoch=False: the meta of a state inside an epoch (the epoch in
        # progress, the iterations done), as mmengine's iteration-based
        # checkpoints have it
        runner.save_checkpoint(runner.work_dir, filename, by_epoch=False,
                               backend_args=dict(backend=BACKEND))
        path = osp.join(runner.work_dir, filename)
        if is_main_process():
            point_last_checkpoint(runner.work_dir, path)
        if self._group is not None:  # no rank exits (and has the launcher
            dist.barrier(group=self._group)  # end the others) before saved
        self.after_train(runner)
        raise TrainingInterrupted(signum, path)
