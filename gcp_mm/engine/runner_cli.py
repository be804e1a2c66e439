"""Command-line plumbing shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)


def load_runner_config(args: argparse.Namespace,
                       work_dir: Optional[str] = None) -> Config:
    """The config with the launcher and ``--cfg-options`` applied and the
    work dir set (default ``work_dirs/<config name>``)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def prepare_cpu_distributed(cfg: Config) -> None:
    """Let ``--launcher pytorch`` run on machines without CUDA.

    mmengine's launcher always calls ``torch.cuda.set_device``; on CPU the
    process group is started here with gloo instead (mmengine then finds it
    initialised), and DDP gets no ``device_ids``.
    """
    import torch
    import torch.distributed as dist
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None)


def build_checked_runner(cfg: Config, data_loaders: Sequence[str]):
    """mmengine's Runner, after the checks that turn late failures into
    clear errors (data paths of ``data_loaders``, GCP model config) and the
    CPU distributed set-up."""
    from mmengine.runner import Runner

    from .config_checks import check_gcp_model_config
    from .data_paths import check_data_paths
    check_data_paths(cfg, data_loaders)
    check_gcp_model_config(cfg)
    prepare_cpu_distributed(cfg)
    return Runner.from_cfg(cfg)
