"""Does the normalisation matter? GAP and every normalisation of the GCP
neck trained on the demo's data, side by side.

The demo's setting (``gcp_mm.demo``: the generated colour-texture data
set, 48 px, ResNet-18 of the zoo with LRadju compressed to 8 epochs, seed
0), one run per variant: GAP, GCP with each ``normalization`` of
``GlobalCovariancePooling`` and DropCov (``DropCovPooling``), at the given
multiples of the config's auto-scaled learning rate. Prints final top-1,
the first epoch reaching 90% and the seconds of each run; writes
``study.json`` into the work dir. Numbers are reported, never asserted.

    .venv/bin/python benchmarks/normalisation_study.py --work-dir /tmp/study
    .venv/bin/python benchmarks/normalisation_study.py --lr-factors 0.5 1 4
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from gcp_mm.analysis import epoch_to, read_val_curve  # noqa: E402
from gcp_mm.demo import (  # noqa: E402
    DemoSettings,
    auto_scaled_lr,
    demo_config,
    lr_key,
    make_color_texture_dataset,
    run_config,
)
from gcp_mm.ops import NORMALIZATIONS  # noqa: E402

VARIANTS = ('gap', ) + NORMALIZATIONS + ('dropcov', )


def variant_config(variant, data_root, work_dir, settings, lr):
    head = 'gap' if variant == 'gap' else 'gcp'
    cfg = run_config(demo_config(f'resnet18_{head}_lradju_textures.py'),
                     data_root, work_dir, settings.size, settings.epochs, lr,
                     settings.seed)
    if variant == 'dropcov':
        neck = cfg.model.neck
        cfg.model.neck = dict(type='DropCovPooling',
                              in_channels=neck.in_channels,
                              reduced_channels=neck.reduced_channels)
    elif variant != 'gap':
        cfg.model.neck.normalization = variant
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--lr-factors', type=float, nargs='+',
                        default=[1.0])
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS)
    parser.add_argument('--epochs', type=int, default=DemoSettings.epochs)
    args = parser.parse_args()

    settings = DemoSettings(epochs=args.epochs)
    data_root = osp.join(args.work_dir, 'data')
    counts = make_color_texture_dataset(data_root, settings.train_per_class,
                                        settings.val_per_class,
                                        settings.size, settings.seed)
    base_lr = auto_scaled_lr(Config.fromfile(
        demo_config('resnet18_gcp_lradju_textures.py')))
    print(f'data: {counts} images of {settings.size} px; ResNet-18, '
          f'LRadju in {settings.epochs} epochs, base lr {base_lr:.4g}',
          flush=True)
    results = []
    for factor in args.lr_factors:
        lr = base_lr * factor
        for variant in args.variants:
            run_dir = osp.join(args.work_dir, f'{variant}_lr{lr_key(lr)}')
            cfg = variant_config(variant, data_root, run_dir, settings, lr)
            start = time.time()
            Runner.from_cfg(cfg).train()
            seconds = time.time() - start
            curve = read_val_curve(run_dir)
            results.append(dict(variant=variant, lr=lr, top1=curve[-1][1],
                                epoch_to_90=epoch_to(curve),
                                seconds=seconds, curve=curve))
            print(f'RESULT {variant:14} lr {lr_key(lr):>7} top-1 '
                  f'{curve[-1][1]:5.1f}%  90% at epoch '
                  f'{epoch_to(curve)}  {seconds:6.1f} s', flush=True)
    with open(osp.join(args.work_dir, 'study.json'), 'w') as f:
        json.dump(results, f, indent=1)
    print(f"{'variant':14} {'lr':>7} {'top-1':>6} {'90% at':>7} "
          f"{'seconds':>8}")
    for r in results:
        print(f"{r['variant']:14} {lr_key(r['lr']):>7} {r['top1']:6.1f} "
              f"{str(r['epoch_to_90']):>7} {r['seconds']:8.1f}")


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '2')
    main()
