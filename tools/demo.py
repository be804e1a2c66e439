"""The README's main job: GAP vs GCP over a learning-rate range (and
seeds), the fast schedule, the loss landscape, and a GCP_M detector, on the
CPU (gcp_mm.demo). Writes figures and summary.json to the work dir.

    python tools/demo.py [--work-dir work_dirs/demo] [--epochs N] \
        [--seeds N] ...
"""
import argparse
import os.path as osp
import time

from gcp_mm.cli import UsageError, exit_on_usage_error
from gcp_mm.demo import HEADS, DemoSettings, run_demo

DEFAULTS = DemoSettings()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='GAP vs GCP ResNet-18 on generated colour textures over '
        'a range of learning rates, LRfast vs LRadju, the loss landscape, '
        'and a GCP_M Faster R-CNN on generated shapes, on the CPU.')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'),
                        help='where data, runs, figures and summary.json go')
    parser.add_argument('--epochs', type=int, default=DEFAULTS.epochs,
                        help='classification epochs (LRadju compressed)')
    parser.add_argument('--lr-factors', type=float, nargs='+',
                        default=DEFAULTS.lr_factors, metavar='F',
                        help='learning rates as multiples of the config\'s '
                        'auto-scaled one')
    parser.add_argument('--fast-schedule', action='store_true',
                        help='also train both heads with LRfast (60%% of the '
                        'epochs), each at its best rate of the sweep, against '
                        'LRadju there')
    parser.add_argument('--size', type=int, default=DEFAULTS.size,
                        help='texture image size in pixels')
    parser.add_argument('--train-per-class', type=int,
                        default=DEFAULTS.train_per_class,
                        help='training images per class')
    parser.add_argument('--val-per-class', type=int,
                        default=DEFAULTS.val_per_class,
                        help='validation images per class')
    parser.add_argument('--seed', type=int, default=DEFAULTS.seed,
                        help='seed of the data sets and the first runs')
    parser.add_argument('--seeds', type=int, default=DEFAULTS.seeds,
                        metavar='N',
                        help='train every run of the sweep with N seeds '
                        '(--seed, --seed + 1, ...) and report the mean and '
                        'spread of top-1 (N times the classification time)')
    parser.add_argument('--landscape-interval', type=int,
                        default=DEFAULTS.landscape_interval,
                        help='iterations between LandscapeHook measurements; '
                        '0 skips them')
    parser.add_argument('--landscape-steps', type=int,
                        default=DEFAULTS.landscape_steps,
                        help='LandscapeHook step sizes per measurement')
    parser.add_argument('--det-epochs', type=int, default=DEFAULTS.det_epochs,
                        help='detection epochs; 0 skips the detection part')
    parser.add_argument('--det-size', type=int, default=DEFAULTS.det_size,
                        help='detection image size in pixels')
    parser.add_argument('--det-train', type=int, default=DEFAULTS.det_train,
                        help='detection training images')
    parser.add_argument('--det-val', type=int, default=DEFAULTS.det_val,
                        help='detection validation images')
    parser.add_argument('--det-batch-size', type=int,
                        default=DEFAULTS.det_batch_size,
                        help='detection images per iteration')
    parser.add_argument('--det-lr', type=float, default=DEFAULTS.det_lr,
                        help='detection learning rate')
    return parser.parse_args(argv)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    if args.seeds < 1:
        raise UsageError(f'--seeds must be at least 1, got {args.seeds}')
    settings = DemoSettings(
        size=args.size, train_per_class=args.train_per_class,
        val_per_class=args.val_per_class, epochs=args.epochs,
        lr_factors=tuple(args.lr_factors),
        fast_schedule=args.fast_schedule,
        landscape_interval=args.landscape_interval,
        landscape_steps=args.landscape_steps, det_epochs=args.det_epochs,
        det_size=args.det_size, det_train=args.det_train,
        det_val=args.det_val, det_batch_size=args.det_batch_size,
        det_lr=args.det_lr, seed=args.seed, seeds=args.seeds)
    start = time.time()
    summary = run_demo(args.work_dir, settings)
    print('\n== gcp-mm demo: ResNet-18 on generated colour textures ==')
    sweep = summary['classification']
    width = 18 if settings.seeds == 1 else 29
    if settings.seeds > 1:
        print(f'final top-1: mean +- standard deviation over '
              f'{settings.seeds} seeds; 90%: of the mean curve')
    print(f'{"lr":>8}  ' + '  '.join(f'{h.upper():>{width}}' for h in HEADS))
    for lr in sorted(sweep['gcp'], key=float):
        cells = []
        for head in HEADS:
            result = sweep[head][lr]
            reached = result['epoch_to_90']
            spread = '' if result['top1_std'] is None else \
                f' +- {result["top1_std"]:4.1f}'
            cells.append(f'{result["top1"]:5.1f}%{spread} ' +
                         (f'(90% at ep {reached})' if reached else
                          '(never 90%)'))
        print(f'{lr:>8}  ' + '  '.join(f'{c:>{width}}' for c in cells))
    for head, runs in summary['fast_schedule'].items():
        print(f'{head.upper()} at its best rate {runs["lradju"]["lr"]}: '
              f'LRfast {runs["lrfast"]["top1"]:.1f}% in '
              f'{runs["lrfast"]["epochs"]} epochs, LRadju '
              f'{runs["lradju"]["top1"]:.1f}% in {runs["lradju"]["epochs"]}')
    landscape = summary['landscape']
    if landscape:
        print('landscape: each head at its best rate (' + ', '.join(
            f'{h.upper()} {lr}' for h, lr in landscape['best'].items())
            + '); ' + (f'both at {landscape["shared"]}, where both reach '
                       f'{landscape["learned_top1"]:.0f}% top-1'
                       if landscape['shared'] else
                       'no rate of the sweep where both reach '
                       f'{landscape["learned_top1"]:.0f}% top-1')
            + f'; chance loss ln 8 = {landscape["chance_loss"]:.3f}')
    detection = summary['detection']
    if detection:
        print('Faster R-CNN, GCP_M ResNet-18 (the GCP run at lr '
              f'{detection["backbone_lr"]}), generated shapes: bbox AP '
              f'{detection["bbox_mAP"]:.3f}, AP50 '
              f'{detection["bbox_mAP_50"]:.3f}')
    seconds = summary['seconds']
    print('time: ' + ', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())
          + f' (with start-up {time.time() - start:.0f} s)')
    for name, path in summary['figures'].items():
        print(f'{name}: {path}')
    print(f'summary: {osp.join(args.work_dir, "summary.json")}')
    return summary


if __name__ == '__main__':
    main()
