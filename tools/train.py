"""Train a gcp-mm (mmpretrain or mmdet) config with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--log-interval N] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Several GPUs or nodes: tools/dist_train.sh (torchrun).
"""
import argparse

import torch
from mmengine.config import Config

from gcp_mm.engine.runner_cli import (
    add_runner_arguments,
    build_checked_runner,
    load_runner_config,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint of the work '
        'dir when no CKPT is given')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: AmpOptimWrapper (fp16) on '
                        'CUDA, bfloat16 autocast on CPU')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by (GPUs x batch) / the reference '
        'batch in auto_scale_lr.base_batch_size')
    parser.add_argument('--log-interval', type=int,
                        help='log every N iterations (CPU-sized runs)')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def build_config(args) -> Config:
    cfg = load_runner_config(args, args.work_dir)
    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:  # mmengine's AmpOptimWrapper is CUDA-only
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise ValueError(f'{args.config} has no auto_scale_lr setting')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.log_interval:
        cfg.default_hooks.logger.interval = args.log_interval
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    loaders = ('train_dataloader', 'val_dataloader') if cfg.get(
        'val_cfg') else ('train_dataloader', )
    build_checked_runner(cfg, loaders).train()


if __name__ == '__main__':
    main()
