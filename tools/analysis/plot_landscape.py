"""Plot the loss landscape and gradient predictiveness recorded by
``LandscapeHook`` (the GCP paper's figure, REFERENCE.md section 5).

    python tools/analysis/plot_landscape.py RUN_DIR [RUN_DIR ...] \\
        --out fig.png [--labels GAP GCP] [--smooth N]

For each run, against the training step: the band between the minimum and
the maximum over the step sizes of the loss L(X + eta g) (left) and of the
gradient difference ||dL/dX(X + eta g) - g|| (right). RUN_DIR is a work dir
(or log dir) holding a ``landscape.jsonl``; the newest one found is used.
"""
import argparse
import os.path as osp

from gcp_mm.analysis.landscape import plot


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run_dirs', nargs='+')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--labels', nargs='+',
                        help='legend labels (default: run dir names)')
    parser.add_argument('--smooth', type=int, default=1,
                        help='moving-average window over measurements')
    args = parser.parse_args(argv)
    labels = args.labels or [osp.basename(osp.normpath(d))
                             for d in args.run_dirs]
    if len(labels) != len(args.run_dirs):
        parser.error('give one label per run dir')
    plot(args.run_dirs, labels, args.out, args.smooth)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
