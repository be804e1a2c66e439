"""ImageNet-C / ImageNet-P robustness of an mmpretrain classifier.

    # released ImageNet-C (+ the clean val folder for the clean error):
    python tools/robustness.py CONFIG CKPT --imagenet-c IMAGENET_C \\
        --clean data/imagenet/val
    # corruptions generated on the fly from any <class>/<image> folder:
    python tools/robustness.py CONFIG CKPT --corrupt-from FOLDER \\
        [--cache DIR]
    # released ImageNet-P videos / sequences generated on the fly:
    python tools/robustness.py CONFIG CKPT --imagenet-p IMAGENET_P
    python tools/robustness.py CONFIG CKPT --perturb-from FOLDER
    # flip rates, mFP / mT5D relative to another model's run of this tool:
    ... --baseline work_dirs/<baseline>/robustness.json

Prints the error table (corruption x severity), CE / relative CE, mCE and
relative mCE (normalised by AlexNet), flip probabilities and top-5
distances (normalised by the baseline when given), and writes them all to
``<work-dir>/robustness.json``. The evaluation itself is
``gcp_mm.robustness`` (``imagenet_c``, ``imagenet_p``).
"""
import argparse
import json
import os
import os.path as osp

from gcp_mm.cli import UsageError, add_debug_argument, exit_on_usage_error
from gcp_mm.cuda_device import check_cuda_usable, default_device
from gcp_mm.robustness.evaluate import check_model_files, load_classifier
from gcp_mm.robustness.imagenet_c import (
    check_imagenet_c_inputs,
    evaluate_imagenet_c,
)
from gcp_mm.robustness.imagenet_p import (
    check_imagenet_p_inputs,
    evaluate_imagenet_p,
    normalise_by_baseline,
    read_baseline,
)
from gcp_mm.robustness.metrics import (
    BENCHMARK_CORRUPTIONS,
    SEVERITIES,
    TEST_PERTURBATIONS,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'config', help='mmpretrain config of the classifier, e.g. '
        'configs/imagenet/resnet50_gcp_lrnorm.py')
    parser.add_argument(
        'checkpoint', help="the model's weights: a checkpoint of "
        'tools/train.py, or a released .pth.tar of the paper converted by '
        'tools/convert_checkpoint.py first')
    c = parser.add_mutually_exclusive_group()
    c.add_argument(
        '--imagenet-c', metavar='ROOT', help='released ImageNet-C: '
        'ROOT/<corruption>/<severity>/<wnid>/*.JPEG (needs --clean)')
    c.add_argument(
        '--corrupt-from', metavar='FOLDER', help='generate ImageNet-C '
        'corruptions on the fly from this <class>/<image> folder')
    parser.add_argument(
        '--clean', metavar='FOLDER', help='clean images for --imagenet-c '
        '(the ImageNet val folder, <wnid>/<image>): clean error, class '
        'order')
    parser.add_argument(
        '--cache', metavar='DIR', help='with --corrupt-from: also write the '
        'generated corruptions here in the ImageNet-C layout and reuse them '
        '(--imagenet-c DIR reads them later)')
    p = parser.add_mutually_exclusive_group()
    p.add_argument(
        '--imagenet-p', metavar='ROOT', help='released ImageNet-P: '
        'ROOT/<perturbation>/<wnid>/*.mp4 (noise at difficulty d > 1 in '
        'ROOT/<perturbation>_<d>)')
    p.add_argument(
        '--perturb-from', metavar='FOLDER', help='generate ImageNet-P '
        'sequences on the fly from this <class>/<image> folder')
    parser.add_argument(
        '--corruptions', nargs='+', metavar='NAME',
        default=list(BENCHMARK_CORRUPTIONS), help='ImageNet-C corruptions '
        '(default: the 15 benchmark ones; the 4 extra ones, speckle_noise, '
        'gaussian_blur, spatter, saturate, may be added); mCE needs all 15')
    parser.add_argument(
        '--severities', nargs='+', type=int, metavar='S',
        default=list(SEVERITIES), help='ImageNet-C severities, 1..5 '
        '(default: all; CE and mCE need all 5)')
    parser.add_argument(
        '--perturbations', nargs='+', metavar='NAME',
        default=list(TEST_PERTURBATIONS), help='ImageNet-P perturbations '
        f'(default: the 10 test ones: {", ".join(TEST_PERTURBATIONS)})')
    parser.add_argument(
        '--difficulty', type=int, default=1, metavar='D', help='ImageNet-P '
        'difficulty 1, 2 or 3 (default 1, as most published numbers): '
        'stronger noise for the noise perturbations, frame subsequences '
        'vid[i::d] for the others')
    parser.add_argument(
        '--baseline', metavar='JSON', help="robustness.json of another "
        "model's ImageNet-P run of this tool (same data, perturbations and "
        'difficulty): adds flip rates, T5D ratios, mFP and mT5D relative to '
        'it')
    parser.add_argument(
        '--crop-size', type=int, default=224, metavar='N', help='crop size '
        'of the clean images and of generated corruptions / sequences '
        '(default 224; released files are used as they are)')
    parser.add_argument(
        '--batch-size', type=int, default=32, metavar='N',
        help='images per forward pass (default 32)')
    parser.add_argument(
        '--seed', type=int, default=0, metavar='N', help='seed of the '
        'generated corruptions and sequences (default 0)')
    parser.add_argument(
        '--device', default=None, help='torch device, e.g. cuda:1 or cpu '
        '(default cuda where torch sees a GPU, else cpu)')
    parser.add_argument(
        '--work-dir', metavar='DIR', help='where robustness.json goes '
        '(default work_dirs/<config name>)')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if args.device is None:
        check_cuda_usable()  # a GPU torch cannot use is said, not skipped
        args.device = default_device()
    return args


def check_inputs(args) -> dict:
    """Every check that needs no model, raising ``UsageError``; returns
    the ImageNet-P baseline (or None)."""
    if not (args.imagenet_c or args.corrupt_from or args.imagenet_p
            or args.perturb_from):
        raise UsageError('nothing to evaluate; give --imagenet-c or '
                         '--corrupt-from and/or --imagenet-p or '
                         '--perturb-from')
    if args.imagenet_c and not args.clean:
        raise UsageError('--imagenet-c needs --clean (the clean val folder) '
                         'for the clean error and the relative mCE')
    if args.clean and not args.imagenet_c:
        raise UsageError('--clean is only used with --imagenet-c; with '
                         '--corrupt-from the clean images are its folder')
    if args.cache and not args.corrupt_from:
        raise UsageError('--cache is only used with --corrupt-from')
    if args.baseline and not (args.imagenet_p or args.perturb_from):
        raise UsageError('--baseline normalises ImageNet-P results; add '
                         '--imagenet-p or --perturb-from')
    check_model_files(args.config, args.checkpoint)
    if args.imagenet_c or args.corrupt_from:
        check_imagenet_c_inputs(args.corruptions, args.severities,
                                args.clean or args.corrupt_from,
                                args.imagenet_c)
    if args.imagenet_p or args.perturb_from:
        check_imagenet_p_inputs(args.perturbations, args.difficulty,
                                args.imagenet_p, args.perturb_from)
    if args.baseline:
        return read_baseline(
            args.baseline, args.perturbations, args.difficulty,
            'released' if args.imagenet_p else 'generated')
    return None


def format_c_table(result: dict) -> str:
    sev = result['severities']
    lines = [f"{'corruption':18}" + ''.join(f'{f"s{s}":>8}' for s in sev) +
             (f"{'CE':>8}{'rel CE':>8}" if 'ce' in result else '')]
    for name, errs in result['errors'].items():
        line = f'{name:18}' + ''.join(f'{e:8.2f}' for e in errs)
        if 'ce' in result:
            line += (f"{result['ce'][name]:8.1f}"
                     f"{result['relative_ce'][name]:8.1f}")
        lines.append(line)
    lines.append(f"clean top-1 error: {result['clean_error']:.2f}%")
    if 'mce' in result:
        lines.append(f"mCE: {result['mce']:.1f}%   relative mCE: "
                     f"{result['relative_mce']:.1f}%")
    elif 'note' in result:
        lines.append(f"no mCE: {result['note']}")
    return '\n'.join(lines)


def format_p_table(out: dict) -> str:
    lines = [f"{'perturbation':16}{'FP %':>9}{'T5D':>9}" +
             (f"{'FR %':>9}{'T5D %':>9}" if 'mfp' in out else '')]
    for name in out['fp']:
        line = f"{name:16}{out['fp'][name]:9.2f}{out['t5d'][name]:9.3f}"
        if 'mfp' in out:
            line += (f"{out['flip_rate'][name]:9.1f}"
                     f"{out['t5d_ratio'][name]:9.1f}")
        lines.append(line)
    lines.append(f"mean FP: {out['mean_fp']:.2f}%  mean T5D: "
                 f"{out['mean_t5d']:.3f} (unnormalised, difficulty "
                 f"{out['difficulty']})")
    if 'mfp' in out:
        lines.append(f"mFP: {out['mfp']:.1f}%  mT5D: {out['mt5d']:.1f}% "
                     f"(relative to the baseline {out['baseline']})")
    return '\n'.join(lines)


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    baseline = check_inputs(args)
    work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    os.makedirs(work_dir, exist_ok=True)
    model = load_classifier(args.config, args.checkpoint, args.device)
    report = dict(config=args.config, checkpoint=args.checkpoint)
    if args.imagenet_c or args.corrupt_from:
        report['imagenet_c'] = evaluate_imagenet_c(
            model, args.corruptions, args.severities,
            args.clean or args.corrupt_from, args.imagenet_c,
            args.crop_size, args.seed, args.cache, args.batch_size)
        print(format_c_table(report['imagenet_c']))
    if args.imagenet_p or args.perturb_from:
        result = evaluate_imagenet_p(
            model, args.perturbations, args.difficulty, args.imagenet_p,
            args.perturb_from, args.crop_size, args.seed, args.batch_size)
        if baseline is not None:
            result.update(normalise_by_baseline(result, baseline),
                          baseline=args.baseline)
        report['imagenet_p'] = result
        print(format_p_table(result))
    path = osp.join(work_dir, 'robustness.json')
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'wrote {path}')
    return report


if __name__ == '__main__':
    main()
