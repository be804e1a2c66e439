"""Runner set-up for the tools: their switches, CPU distributed runs, and
the checks before anything is built."""
import os
import shlex
import sys
from typing import Optional, Sequence

from mmengine.config import Config

from .errors import UsageError, one_line
from .preflight import (
    check_checkpoint_fits,
    check_class_folders,
    check_config_entries,
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
    """Apply ``tools/train.py``'s switches to ``cfg``, then the training
    safeguards every run gets unless the config turns them off
    (:func:`gcp_mm.engine.apply_training_safety`).

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
    from gcp_mm.engine import apply_training_safety
    apply_training_safety(cfg)


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
    one clear ``UsageError`` (the whole config's entries,
    :func:`check_config_entries`; data paths of ``data_loaders`` and their
    evaluators, class folders, the pretrained backbone and neck when
    training, that ``checkpoint`` fits the model exactly when one is
    given, the GCP model config), safe image loading for evaluation (a
    training run's safeguards are :func:`configure_training`'s) and, for
    CPU distributed runs, :func:`start_cpu_process_group`."""
    from mmengine.runner import Runner
    training = 'train_dataloader' in data_loaders
    check_config_entries(cfg, data_loaders)
    check_data_paths(cfg, data_loaders)
    check_class_folders(cfg, data_loaders)
    # only training initialises the model from its Pretrained checkpoints
    check_pretrained_backbone(cfg, init_weights=training)
    if checkpoint is not None:
        check_checkpoint_fits(cfg, checkpoint)
    check_gcp_model_config(cfg)
    if not training:
        from gcp_mm.engine.safety import apply_safe_evaluation
        apply_safe_evaluation(cfg)
    start_cpu_process_group(cfg)
    return Runner.from_cfg(cfg)


def train(cfg: Config, data_loaders: Sequence[str]) -> None:
    """Build the runner (:func:`build_runner`) and train. Non-finite
    gradients end in one line that names the checkpoint to resume from
    (nothing non-finite is ever saved, so the last one is good)."""
    from gcp_mm.engine.errors import NonFiniteGradients
    from gcp_mm.engine.hooks.finite_state_hook import resume_advice
    from gcp_mm.engine.hooks.preemption_hook import PreemptionHook
    runner = build_runner(cfg, data_loaders)
    try:
        runner.train()
    except NonFiniteGradients as err:
        raise UsageError(f'{one_line(err)}: {resume_advice(cfg.work_dir)}'
                         ) from err
    finally:
        # a run that ends in an error skips the hooks' after_train: the
        # SIGINT / SIGTERM handlers go back here, or Ctrl-C in the same
        # process (a notebook, a second run) would reach a finished run
        for hook in runner.hooks:
            if isinstance(hook, PreemptionHook):
                hook.after_train(runner)


def resume_command(argv: Sequence[str], launcher: str = 'none') -> str:
    """The command that continues a run started with ``argv`` (the
    arguments of tools/train.py): the same, with ``--resume`` (any
    ``--resume CKPT`` before replaced by the latest checkpoint)."""
    if launcher != 'none':
        return 'the same launch command with --resume'
    args, skip = [], False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == '--resume':
            following = argv[index + 1] if index + 1 < len(argv) else ''
            skip = following.endswith(('.pth', '.pt', '.ckpt'))
            continue
        if arg.startswith('--resume='):
            continue
        args.append(arg)
    tool = os.path.relpath(sys.argv[0]) if sys.argv[0] else 'tools/train.py'
    return shlex.join(['python', tool, *args, '--resume'])
