"""Plot the loss landscape and gradient predictiveness recorded by
``LandscapeHook`` (the GCP paper's figure, docs/reference.md section 5).

    python tools/analysis/plot_landscape.py RUN_DIR [RUN_DIR ...] \\
        --out fig.png [--labels GAP GCP] [--smooth N] [--num-classes K]

For each run, against the training step: the band between the minimum and
the maximum over the step sizes of the loss L(X + eta g) (left) and of the
gradient difference ||dL/dX(X + eta g) - g|| (right). RUN_DIR is a work dir
(or log dir) holding a ``landscape.jsonl``; the newest one found is used.
With ``--num-classes K`` the loss panel shows chance level, ln K: a band
lying on it is a network that has not started learning.
"""
import argparse
import math
import os.path as osp

from gcp_mm.analysis.landscape import plot


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'run_dirs', nargs='+', metavar='RUN_DIR',
        help='work dir or log dir of a training run with LandscapeHook '
        '(the newest landscape.jsonl below it is read)')
    parser.add_argument('--out', required=True,
                        help='PNG file to write (folders are created)')
    parser.add_argument('--labels', nargs='+', metavar='LABEL',
                        help='legend labels, one per RUN_DIR (default: '
                        'the RUN_DIR folder names)')
    parser.add_argument('--smooth', type=int, default=1, metavar='N',
                        help='moving-average window over measurements '
                        '(default: 1, no smoothing)')
    parser.add_argument('--num-classes', type=int, metavar='K',
                        help='draw chance level ln K on the loss panel')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smooth < 1:
        parser.error(f'--smooth must be >= 1, got {args.smooth}')
    labels = args.labels or [osp.basename(osp.normpath(d))
                             for d in args.run_dirs]
    if len(labels) != len(args.run_dirs):
        parser.error(f'give one label per run dir: {len(labels)} labels '
                     f'for {len(args.run_dirs)} run dirs')
    if args.num_classes is not None and args.num_classes < 2:
        parser.error(f'--num-classes must be >= 2, got {args.num_classes}')
    plot(args.run_dirs, labels, args.out, args.smooth,
         chance_loss=math.log(args.num_classes) if args.num_classes
         else None)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
