"""Export a gcp-mm classifier to ONNX and check it against PyTorch.

    python tools/deploy/export_onnx.py CONFIG CHECKPOINT OUT.onnx
        [--image PHOTO.jpg] [--repeats 10]

The model is exported with torch's default (dynamo) exporter with a
dynamic batch axis; a real photo (matplotlib's Grace Hopper by default)
goes through the config's test pipeline, PyTorch and ONNX Runtime, and the
largest difference of the class scores is printed with both latencies.
Exit status 1 when the outputs disagree beyond the tolerance, 2 for a
model or input that cannot be exported (docs/deploy.md).
"""
import argparse
import sys

from gcp_mm.cli import add_debug_argument, exit_on_usage_error
from gcp_mm.cli.deploy import add_comparison_arguments, comparison_photo
from gcp_mm.cli.errors import UsageError
from gcp_mm.input_files import check_input_path

#: Relative tolerance on the class scores (docs/deploy.md: measured
#: differences are about 1e-6 of the largest score).
RTOL = 1e-4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a gcp-mm classifier to ONNX and compare ONNX '
        'Runtime with PyTorch on a real photo.')
    parser.add_argument('config', help='classifier config file')
    parser.add_argument('checkpoint', help='checkpoint that fits the '
                        'config (tools/convert_checkpoint.py for released '
                        '.pth.tar files)')
    parser.add_argument('out', help='the .onnx file to write')
    add_comparison_arguments(parser)
    add_debug_argument(parser)
    return parser.parse_args(argv)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    from gcp_mm.deploy import export_and_check
    image = comparison_photo(args)
    for what, path in (('checkpoint', args.checkpoint), ('image', image)):
        check_input_path(path, what)
    if args.repeats < 1:
        raise UsageError('--repeats must be at least 1')
    result = export_and_check(args.config, args.checkpoint, args.out, image,
                              args.repeats)
    shape = 'x'.join(str(n) for n in result.input_shape)
    print(f'exported {result.path} (input {shape}, batch axis dynamic)')
    print(f'ONNX Runtime vs PyTorch on {image}: max |diff| '
          f'{result.max_abs_diff:.2e} ({result.max_rel_diff:.2e} of the '
          f'largest score), top-1 '
          f'{"agrees" if result.same_top1 else "DIFFERS"}')
    print(f'latency, batch 1, CPU: PyTorch {1e3 * result.torch_latency:.1f}'
          f' ms, ONNX Runtime {1e3 * result.onnx_latency:.1f} ms')
    if result.max_rel_diff > RTOL or not result.same_top1:
        print(f'MISMATCH: the difference exceeds {RTOL:g} of the largest '
              'score', file=sys.stderr)
        sys.exit(1)
    return result


if __name__ == '__main__':
    main()
