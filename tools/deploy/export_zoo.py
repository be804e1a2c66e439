"""Export many classifier configs and print one Markdown table row each
(the table of docs/deploy.md).

    python tools/deploy/export_zoo.py CONFIG [CONFIG ...] --out-dir DIR
        [--image PHOTO.jpg] [--repeats 10]

Each config's model is built with its initial weights (no checkpoint),
exported with a dynamic batch axis and compared with PyTorch on a real
photo, as tools/deploy/export_onnx.py does; a model that cannot export
gets its one-line reason in the table instead.
"""
import argparse
import os
import os.path as osp

import torch

from gcp_mm.cli import add_debug_argument, exit_on_usage_error
from gcp_mm.cli.deploy import add_comparison_arguments, comparison_photo
from gcp_mm.errors import InputError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export classifier configs to ONNX and print a table of '
        'the differences to PyTorch and the latencies.')
    parser.add_argument('configs', nargs='+', help='classifier config files')
    parser.add_argument('--out-dir', required=True,
                        help='where the .onnx files go')
    add_comparison_arguments(parser)
    add_debug_argument(parser)
    return parser.parse_args(argv)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    from gcp_mm.deploy import export_and_check
    image = comparison_photo(args)
    os.makedirs(args.out_dir, exist_ok=True)
    print(f'CPU, {torch.get_num_threads()} threads, torch '
          f'{torch.__version__}, batch 1, {osp.basename(image)}\n')
    print('| config | input | max abs diff | rel. to max score | top-1 | '
          'PyTorch ms | ONNX Runtime ms |')
    print('|---|---|---|---|---|---|---|')
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        try:
            r = export_and_check(config, None,
                                 osp.join(args.out_dir, name + '.onnx'),
                                 image, args.repeats)
        except InputError as err:
            print(f'| {name} | | not exported: {err} | | | | |', flush=True)
            continue
        shape = 'x'.join(str(n) for n in r.input_shape)
        print(f'| {name} | {shape} | {r.max_abs_diff:.1e} | '
              f'{r.max_rel_diff:.1e} | '
              f'{"same" if r.same_top1 else "DIFFERS"} | '
              f'{1e3 * r.torch_latency:.1f} | {1e3 * r.onnx_latency:.1f} |',
              flush=True)


if __name__ == '__main__':
    main()
