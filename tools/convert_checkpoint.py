"""Convert the GCP paper's released ImageNet checkpoints for gcp-mm.

    python tools/convert_checkpoint.py SRC.pth.tar DST.pth [--arch ARCH]
        [--head {gap,gcp,gcp128}]

The result loads with ``load_from=DST`` in the matching
``configs/imagenet/<arch>_<head>_*.py`` config, with ``tools/test.py``, or
through ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
"""
import argparse
import os

from gcp_mm.checkpoint import ARCHS, HEADS
from gcp_mm.cli import (
    add_debug_argument,
    convert_released_checkpoint,
    exit_on_usage_error,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().split('\n')[0],
        epilog='The architecture and head are detected from the file; '
        'every key and shape is checked against the zoo config\'s model.')
    parser.add_argument('src', help="released checkpoint (.pth.tar, the "
                        "paper's legacy or zip torch.save format)")
    parser.add_argument('dst', help='where to write the converted file')
    parser.add_argument('--arch', choices=ARCHS,
                        help='fail unless the file holds this architecture')
    parser.add_argument('--head', choices=HEADS,
                        help='fail unless the file holds this head')
    add_debug_argument(parser)
    return parser.parse_args(argv)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    config = convert_released_checkpoint(args.src, args.dst, args.arch,
                                         args.head)
    shown = os.path.relpath(config)
    if shown.startswith(os.pardir):  # an installed package's config
        shown = config
    print(f'wrote {args.dst} (model of {shown})')


if __name__ == '__main__':
    main()
