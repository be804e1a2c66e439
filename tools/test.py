"""Evaluate a checkpoint of a gcp-mm (mmpretrain or mmdet) config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out M.json]
        [--partial] [--tta] [--cfg-options k=v ...]

Prints every metric of the config's test evaluator: top-1 / top-5 for
classification, COCO AP for detection. Several GPUs: tools/dist_test.sh.
A checkpoint whose keys or shapes do not fit the model is refused, and so
is a released .pth.tar of the paper as it is, with the conversion to run
first (tools/convert_checkpoint.py; gcp_mm/checkpoint/loading.py). --tta
evaluates with the config's test-time augmentation (the fine-grained
configs: the centre crop and its mirror, scores averaged).
"""
import argparse
import json

from gcp_mm.checkpoint import checkpoint_format
from gcp_mm.cli import (
    add_runner_arguments,
    apply_tta,
    build_runner,
    exit_on_usage_error,
    load_config,
    log_checkpoint_fit,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint of a gcp-mm (mmpretrain or '
        'mmdet) config and print its metrics.')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (converted or '
                        'trained; released .pth.tar files need '
                        'tools/convert_checkpoint.py first)')
    parser.add_argument('--work-dir', help='where the test logs go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--out', help='also write the metrics as JSON here')
    parser.add_argument(
        '--partial', action='store_true',
        help='load the checkpoint even if some keys or shapes do not fit '
        'the model (the rest stays randomly initialised)')
    parser.add_argument(
        '--tta', action='store_true',
        help="test-time augmentation: the config's tta_model and "
        'tta_pipeline (the fine-grained configs average the scores of the '
        "centre crop and its mirror), or else mmpretrain's default, the "
        'test image and its horizontal mirror')
    add_runner_arguments(parser,
                         'test_dataloader.dataset.data_root=data/imagenet',
                         'dist_test.sh / slurm_test.sh')
    return parser.parse_args(argv)


def format_metrics(metrics: dict) -> str:
    names = {'accuracy/top1': 'top-1', 'accuracy/top5': 'top-5'}
    return '\n'.join(f'{names.get(k, k)}: {v:.2f}' if isinstance(
        v, float) else f'{names.get(k, k)}: {v}' for k, v in metrics.items())


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    if args.tta:
        apply_tta(cfg)
    checkpoint_format(args.checkpoint)
    cfg.load_from = args.checkpoint
    if args.partial:
        log_checkpoint_fit(cfg, args.checkpoint)
    runner = build_runner(cfg, ['test_dataloader'],
                          checkpoint=None if args.partial else args.checkpoint)
    metrics = runner.test()
    if runner.rank == 0:
        print(format_metrics(metrics))
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
