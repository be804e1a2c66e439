"""Config loading and runner set-up for the tools."""
import ast
import difflib
import inspect
import os
import os.path as osp
from typing import Any, Dict, Optional, Sequence

from mmengine.config import Config

from .cli import UsageError
from .preflight import (
    check_checkpoint_fits,
    check_class_folders,
    check_data_paths,
    check_gcp_model_config,
    check_pretrained_backbone,
)


def _value(node: ast.AST) -> Any:
    """A Python literal, allowing ``dict(k=v, ...)`` as configs write it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args:
        return {kw.arg: _value(kw.value) for kw in node.keywords}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_value(n) for n in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)


def parse_cfg_option(text: str) -> tuple:
    """``'a.b=value'`` -> ('a.b', value). Values are Python literals
    (numbers, strings, True/False/None, lists, tuples, ``dict(...)``);
    anything else is taken as a plain string (``work_dir=runs/a``)."""
    key, sep, raw = text.partition('=')
    if not sep or not key:
        raise UsageError(
            f'--cfg-options {text!r}: expected key=value, e.g. '
            'train_cfg.max_epochs=10')
    try:
        value = _value(ast.parse(raw.strip(), mode='eval').body)
    except (SyntaxError, ValueError, TypeError):
        if any(c in raw for c in '[](){}'):
            raise UsageError(
                f'--cfg-options {key}: cannot read {raw!r} as a value; '
                'write lists as [1, 2] and configs as dict(type=...)'
            ) from None
        value = raw
    return key, value


def _runner_arguments() -> set:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) - {'self'}


def _check_option_key(cfg: Config, key: str) -> None:
    """Every part of ``key`` but the last must exist in the config; the
    last may be new only below the top level (a module argument left at
    its default), or be a Runner argument."""
    parts = key.split('.')
    node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        if isinstance(node, dict) and last and (
                depth > 0 or part in _runner_arguments()):
            return
        where = '.'.join(parts[:depth]) or 'the config'
        known = list(node) if isinstance(node, dict) else []
        close = difflib.get_close_matches(part, known, n=1)
        hint = f'; did you mean {".".join(parts[:depth] + close)}?' \
            if close else ''
        raise UsageError(
            f'--cfg-options {key}: {where} has no key {part!r}{hint}')


def load_config(config: str,
                cfg_options: Optional[Sequence[str]] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """The config file with ``--cfg-options`` (``key=value`` strings,
    checked against the config) applied, the launcher and the work dir set
    (default ``work_dirs/<config name>``)."""
    if not osp.isfile(config):
        raise UsageError(f'config file not found: {config}')
    try:
        cfg = Config.fromfile(config)
    except Exception as err:  # syntax errors, missing bases, ...
        raise UsageError(f'cannot read config {config}: {err}') from err
    options: Dict[str, Any] = dict(
        parse_cfg_option(text) for text in cfg_options or ())
    for key in options:
        _check_option_key(cfg, key)
    if options:
        cfg.merge_from_dict(options)
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


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
