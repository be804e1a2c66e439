"""mmengine's ``CheckpointHook`` with checkpoints that are never torn and
an order that never loses the last good one."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS

from ..checkpoint_files import BACKEND, point_last_checkpoint


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) that writes each checkpoint and
    ``last_checkpoint`` atomically (a temporary file in the same folder,
    flushed and renamed: :mod:`gcp_mm.engine.checkpoint_files`), and
    removes the checkpoints beyond ``max_keep_ckpts`` only after the new one
    is saved (mmengine removes them first, so a failed save could leave
    none). A local ``out_dir`` without ``backend_args`` gets the atomic
    backend; another backend (a remote store) is used as configured."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.backend_args is None and self.file_client_args is None and \
                '://' not in str(self.out_dir or ''):
            self.backend_args = dict(backend=BACKEND)

    def _save_checkpoint_with_step(self, runner, step, meta):
        dropped = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            # (the same step twice: the best and the regular checkpoint)
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                dropped = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            # saved inside the checkpoint, so that a resumed run goes on
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        if not is_main_process():
            return
        point_last_checkpoint(runner.work_dir, self.last_ckpt)
        if dropped is not None:  # only now that a newer one is saved
            old = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(dropped))
            if osp.isfile(old):
                self.file_backend.remove(old)
