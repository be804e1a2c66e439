"""ImageNet-C / ImageNet-P robustness of an mmpretrain classifier.

    # released ImageNet-C (+ the clean val folder for the clean error):
    python tools/test_robustness.py CONFIG CKPT --imagenet-c IMAGENET_C \\
        --clean data/imagenet/val
    # corruptions generated on the fly from any <class>/<image> folder:
    python tools/test_robustness.py CONFIG CKPT --corrupt-from FOLDER \\
        [--cache DIR]
    # released ImageNet-P videos / sequences generated on the fly:
    python tools/test_robustness.py CONFIG CKPT --imagenet-p IMAGENET_P
    python tools/test_robustness.py CONFIG CKPT --perturb-from FOLDER
    # mFP / mT5D relative to another model's run of this tool:
    ... --baseline work_dirs/<baseline>/robustness.json

Prints the error table (corruption x severity), CE / relative CE, mCE and
relative mCE (normalised by AlexNet, ROBUSTNESS.md), flip probabilities and
top-5 distances, and writes them all to ``<work-dir>/robustness.json``.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
from PIL import Image

from gcp_mm.robustness.data import list_class_images
from gcp_mm.robustness.evaluate import (
    Progress,
    evaluate_imagenet_c,
    imagenet_p_videos,
    load_classifier,
    sequence_metrics,
)
from gcp_mm.robustness.metrics import BENCHMARK_CORRUPTIONS, SEVERITIES
from gcp_mm.robustness.perturbations import (
    PERTURBATIONS,
    perturbation_sequence,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    c = parser.add_mutually_exclusive_group()
    c.add_argument('--imagenet-c', help='released ImageNet-C root')
    c.add_argument('--corrupt-from', help='clean <class>/<image> folder '
                   'to corrupt on the fly')
    parser.add_argument('--clean', help='clean images for --imagenet-c '
                        '(the ImageNet val folder)')
    parser.add_argument('--cache', help='write generated corruptions here '
                        '(ImageNet-C layout) and reuse them')
    p = parser.add_mutually_exclusive_group()
    p.add_argument('--imagenet-p', help='released ImageNet-P root')
    p.add_argument('--perturb-from', help='clean folder to make '
                   'perturbation sequences from')
    parser.add_argument('--corruptions', nargs='+',
                        default=list(BENCHMARK_CORRUPTIONS))
    parser.add_argument('--severities', nargs='+', type=int,
                        default=list(SEVERITIES))
    parser.add_argument('--perturbations', nargs='+',
                        default=list(PERTURBATIONS))
    parser.add_argument('--difficulty', type=int, default=1)
    parser.add_argument('--baseline', help='robustness.json of a baseline '
                        'model for the normalised FP / T5D')
    parser.add_argument('--crop-size', type=int, default=224)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--work-dir', default=None)
    args = parser.parse_args(argv)
    if not (args.imagenet_c or args.corrupt_from or args.imagenet_p
            or args.perturb_from):
        parser.error('give --imagenet-c/--corrupt-from and/or '
                     '--imagenet-p/--perturb-from')
    if args.imagenet_c and not args.clean:
        parser.error('--imagenet-c needs --clean (the clean val folder) '
                     'for the clean error and the relative mCE')
    return args


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
    return '\n'.join(lines)


def evaluate_p(model, args) -> dict:
    progress = Progress(len(args.perturbations))
    out = dict(difficulty=args.difficulty, fp={}, t5d={})
    for name in args.perturbations:
        if name not in PERTURBATIONS:
            raise ValueError(f'unknown perturbation {name!r}')
        if args.imagenet_p:
            videos = imagenet_p_videos(args.imagenet_p, name,
                                       args.difficulty)
        else:
            _, items = list_class_images(args.perturb_from)
            videos = (perturbation_sequence(
                Image.open(path), name, args.difficulty, args.crop_size,
                seed=args.seed + index) for index, (path, _) in enumerate(
                    items))
        fp, t5d = sequence_metrics(model, videos, PERTURBATIONS[name],
                                   args.difficulty, args.batch_size)
        out['fp'][name], out['t5d'][name] = 100 * fp, t5d
        progress.step(f'{name}: FP {100 * fp:.2f}%  T5D {t5d:.3f}')
    out['mean_fp'] = float(np.mean(list(out['fp'].values())))
    out['mean_t5d'] = float(np.mean(list(out['t5d'].values())))
    if args.baseline:
        with open(args.baseline) as f:
            base = json.load(f).get('imagenet_p')
        if not base:
            raise ValueError(f'{args.baseline} has no ImageNet-P results')
        missing = [n for n in out['fp'] if n not in base['fp']]
        if missing:
            raise ValueError(f'baseline lacks perturbations: {missing}')
        zero = [n for n in out['fp']
                if base['fp'][n] == 0 or base['t5d'][n] == 0]
        if zero:
            raise ValueError(
                f'{args.baseline}: the baseline never flips on {zero}, so '
                'flip rates relative to it are undefined; use another '
                'baseline or report the unnormalised values')
        out['flip_rate'] = {n: 100 * v / base['fp'][n]
                            for n, v in out['fp'].items()}
        out['t5d_ratio'] = {n: 100 * v / base['t5d'][n]
                            for n, v in out['t5d'].items()}
        out['mfp'] = float(np.mean(list(out['flip_rate'].values())))
        out['mt5d'] = float(np.mean(list(out['t5d_ratio'].values())))
    return out


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
                 f"{out['mean_t5d']:.3f} (unnormalised)")
    if 'mfp' in out:
        lines.append(f"mFP: {out['mfp']:.1f}%  mT5D: {out['mt5d']:.1f}% "
                     '(relative to the baseline)')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
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
        report['imagenet_p'] = evaluate_p(model, args)
        print(format_p_table(report['imagenet_p']))
    path = osp.join(work_dir, 'robustness.json')
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'wrote {path}')
    return report


if __name__ == '__main__':
    main()
