"""Train a gcp-mm (mmpretrain or mmdet) config with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--tensorboard] [--cfg-options k=v ...]

Several GPUs or nodes: tools/dist_train.sh (torchrun), tools/slurm_train.sh.
Configuration and data mistakes end with one 'error:' line (exit status 2)
before anything is built. Every config trains with the safeguards of
gcp_mm/engine/safety.py (docs/training.md). SIGTERM / SIGINT save a
resumable checkpoint and exit with 143 / 130.
"""
import argparse
import sys

from gcp_mm.cli import (
    add_runner_arguments,
    check_resume,
    configure_training,
    exit_on_usage_error,
    load_config,
    resume_command,
    train,
)
from gcp_mm.engine import TrainingInterrupted


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a gcp-mm (mmpretrain or mmdet) config with '
        "mmengine's Runner.")
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint of the work '
        'dir when no CKPT is given (with none there, training starts from '
        'scratch, and says so)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: AmpOptimWrapper (fp16) on '
                        'CUDA, bfloat16 autocast on CPU')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by (GPUs x batch) / the reference '
        'batch in auto_scale_lr.base_batch_size')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also write TensorBoard event files to '
                        '<work-dir>/<timestamp>/vis_data')
    parser.add_argument('--log-interval', type=int, metavar='N',
                        help='log every N iterations (CPU-sized runs)')
    add_runner_arguments(
        parser, 'train_cfg.max_epochs=10 or visualizer.vis_backends='
        "\"[dict(type='LocalVisBackend')]\"", 'dist_train.sh / slurm_train.sh')
    return parser.parse_args(argv)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    configure_training(cfg, amp=args.amp, auto_scale_lr=args.auto_scale_lr,
                       resume=args.resume, log_interval=args.log_interval,
                       tensorboard=args.tensorboard)
    if args.resume is not None:
        latest = check_resume(cfg)
        if latest is None:
            print(f'--resume: no checkpoint in {cfg.work_dir} to resume '
                  'from; training starts from scratch')
        else:
            print(f'--resume: resuming from {latest}')
    loaders = ['train_dataloader']
    if cfg.get('val_cfg') is not None:  # mmpretrain's dict() validates too
        loaders.append('val_dataloader')
    try:
        train(cfg, loaders)
    except TrainingInterrupted as stop:
        print(f'interrupted: saved {stop.checkpoint}; continue with: '
              f'{resume_command(argv, args.launcher)}', file=sys.stderr)
        sys.exit(stop.exit_status)


if __name__ == '__main__':
    main()
