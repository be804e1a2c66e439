"""Runner set-up for the tools: their switches, CPU distributed runs, and
the checks before anything is built."""
import os
from typing import Optional, Sequence

from mmengine.config import Config

from .errors import UsageError
from .preflight import (
    check_checkpoint_fits,
    check_class_folders,
    check_data_paths,
    check_gcp_model_config,
    check_pretrained_backbone,
)


def configure_training(cfg: Config,
                       amp: bool = False,
                       auto_scale_lr: bool = False,
                       resume: Optional[str] = None,
                       log_interval: Optional[int] = None,
                       tensorboard: bool = False) -> None:
    """Apply ``tools/train.py``'s switches to ``cfg``.

    Args:
        amp: mixed precision, mmengine's ``AmpOptimWrapper`` (fp16) on
            CUDA, ``CPUAmpOptimWrapper`` (bfloat16) on the CPU.
        auto_scale_lr: scale the learning rate to the actual batch.
        resume: 'auto' (the work dir's latest checkpoint) or a path.
        log_interval: log every N iterations.
        tensorboard: add a ``TensorboardVisBackend``.
    """
    import torch

    from gcp_mm.cuda_device import check_cuda_usable
    check_cuda_usable()  # not a quiet CPU run on a GPU machine
    if amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif amp:  # mmengine's AmpOptimWrapper is CUDA-only
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise UsageError(
                f'--auto-scale-lr: {cfg.filename} has no auto_scale_lr '
                'setting; add auto_scale_lr = dict(base_batch_size=N)')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    if log_interval:
        cfg.default_hooks.logger.interval = log_interval
    if tensorboard:
        visualizer = cfg.setdefault('visualizer', dict(
            type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]))
        backends = visualizer.setdefault('vis_backends', [])
        if not any(b.get('type') == 'TensorboardVisBackend'
                   for b in backends):
            backends.append(dict(type='TensorboardVisBackend'))


def start_cpu_process_group(cfg: Config) -> None:
    """Let ``--launcher pytorch`` run on machines without CUDA.

    mmengine's launcher always calls ``torch.cuda.set_device``; on CPU the
    process group is started here with gloo instead (mmengine then finds it
    initialised), and the config's DDP wrapper gets no ``device_ids``.
    """
    import torch
    import torch.distributed as dist
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    os.environ.setdefault('LOCAL_RANK', '0')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None)


def build_runner(cfg: Config,
                 data_loaders: Sequence[str],
                 checkpoint: Optional[str] = None):
    """mmengine's Runner, after the checks that turn late failures into
    one clear ``UsageError`` (data paths of ``data_loaders`` and their
    evaluators, class folders, the pretrained backbone and neck when
    training, that ``checkpoint`` fits the model exactly when one is
    given, the GCP model config) and, for CPU distributed runs,
    :func:`start_cpu_process_group`."""
    from mmengine.runner import Runner
    training = 'train_dataloader' in data_loaders
    check_data_paths(cfg, data_loaders)
    check_class_folders(cfg, data_loaders)
    # only training initialises the model from its Pretrained checkpoints
    check_pretrained_backbone(cfg, init_weights=training)
    if checkpoint is not None:
        check_checkpoint_fits(cfg, checkpoint)
    check_gcp_model_config(cfg)
    start_cpu_process_group(cfg)
    return Runner.from_cfg(cfg)
