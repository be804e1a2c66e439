"""Convert the GCP paper's released ImageNet checkpoints for gcp-mm.

    python tools/convert_checkpoint.py SRC.pth.tar DST.pth [--arch ARCH]
        [--head {gap,gcp,gcp128}]

The result loads with ``load_from=DST`` in the matching
``configs/imagenet/<arch>_<head>_*.py`` config, or through
``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
"""
import argparse
import os
import sys

from gcp_mm.released_weights import (
    ARCHS,
    CheckpointError,
    convert_released_checkpoint,
)

CONFIG_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs',
    'imagenet')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='released checkpoint (.pth.tar)')
    parser.add_argument('dst', help='where to write the converted file')
    parser.add_argument('--arch', choices=ARCHS,
                        help='check the detected architecture against this')
    parser.add_argument('--head', choices=('gap', 'gcp', 'gcp128'),
                        help='check the detected head against this')
    args = parser.parse_args(argv)
    try:
        config = convert_released_checkpoint(args.src, args.dst, CONFIG_DIR,
                                             args.arch, args.head)
    except CheckpointError as err:
        sys.exit(f'error: {err}')
    print(f'wrote {args.dst} (model of {os.path.relpath(config)})')


if __name__ == '__main__':
    main()
