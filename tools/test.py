"""Evaluate a checkpoint of a gcp-mm (mmpretrain or mmdet) config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out M.json]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

Prints every metric of the config's test evaluator: top-1 / top-5 for
classification, COCO AP for detection. Several GPUs: tools/dist_test.sh.
"""
import argparse
import json

from gcp_mm.checkpoint import check_checkpoint_file
from gcp_mm.engine.runner_cli import (
    add_runner_arguments,
    build_checked_runner,
    load_runner_config,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the test logs go')
    parser.add_argument('--out', help='write the metrics as JSON here')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def format_metrics(metrics: dict) -> str:
    names = {'accuracy/top1': 'top-1', 'accuracy/top5': 'top-5'}
    return '\n'.join(f'{names.get(k, k)}: {v:.2f}' if isinstance(
        v, float) else f'{names.get(k, k)}: {v}' for k, v in metrics.items())


def main(argv=None):
    args = parse_args(argv)
    # fail early, naming the file, on a missing or unreadable checkpoint
    check_checkpoint_file(args.checkpoint)
    cfg = load_runner_config(args, args.work_dir)
    cfg.load_from = args.checkpoint
    runner = build_checked_runner(cfg, ('test_dataloader', ))
    metrics = runner.test()
    if runner.rank == 0:
        print(format_metrics(metrics))
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
