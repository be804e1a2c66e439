"""The README's main job: GAP vs GCP on a generated colour-texture set,
then a GCP_M Faster R-CNN on generated shapes (gcp_mm.demo), on the CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--epochs N] ...
"""
import argparse
import os.path as osp

from gcp_mm.demo import HEADS, run_demo


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='GAP vs GCP ResNet-18 on generated colour textures, '
        'then a GCP_M Faster R-CNN on generated shapes, on the CPU.')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'),
                        help='where data, runs and figures go')
    parser.add_argument('--epochs', type=int, default=10,
                        help='classification epochs (LRadju compressed)')
    parser.add_argument('--size', type=int, default=64,
                        help='texture image size in pixels')
    parser.add_argument('--train-per-class', type=int, default=64,
                        help='training images per class')
    parser.add_argument('--val-per-class', type=int, default=32,
                        help='validation images per class')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the data sets and the runs')
    parser.add_argument('--landscape-interval', type=int, default=16,
                        help='iterations between LandscapeHook measurements')
    parser.add_argument('--landscape-steps', type=int, default=5,
                        help='LandscapeHook step sizes; 0 skips it')
    parser.add_argument('--det-epochs', type=int, default=8,
                        help='detection epochs; 0 skips the detection part')
    parser.add_argument('--det-size', type=int, default=128,
                        help='detection image size in pixels')
    parser.add_argument('--det-train', type=int, default=96,
                        help='detection training images')
    parser.add_argument('--det-val', type=int, default=24,
                        help='detection validation images')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    results = run_demo(
        args.work_dir, epochs=args.epochs, size=args.size,
        train_per_class=args.train_per_class,
        val_per_class=args.val_per_class, seed=args.seed,
        landscape_interval=args.landscape_interval,
        landscape_steps=args.landscape_steps, det_epochs=args.det_epochs,
        det_size=args.det_size, det_train=args.det_train,
        det_val=args.det_val)
    print('\n== gcp-mm demo: ResNet-18, generated colour textures ==')
    for head in HEADS:
        top1, secs = results[head]
        print(f'{head.upper()}: top-1 {top1:.2f}%  ({secs:.0f} s)')
    figures = results['figures']
    print(f"validation curves: {figures['val_top1']}")
    if 'landscape' in figures:
        print('loss landscape / gradient predictiveness: '
              f"{figures['landscape']}")
    if 'faster_rcnn_gcpm' in results:
        box_ap, secs = results['faster_rcnn_gcpm']
        print('Faster R-CNN, GCP_M ResNet-18 backbone, generated shapes: '
              f'bbox AP {box_ap:.3f}  ({secs:.0f} s)')
    return results


if __name__ == '__main__':
    main()
