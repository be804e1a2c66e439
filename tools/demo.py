"""The README's main job: GAP vs GCP on a generated colour-texture set.

    python tools/demo.py [--work-dir work_dirs/demo] [--epochs N] ...

1. writes the synthetic data set of ``gcp_mm.datasets.color_texture``
   (8 classes that differ only in second-order statistics) in the
   ``CustomDataset`` folder layout;
2. trains ``configs/imagenet/resnet18_{gap,gcp}_lradju.py``, the very
   configs of the ImageNet zoo, with only the data root, image size, class
   count and run length overridden (``demo_config``), on the CPU;
3. prints the top-1 of both and writes ``val_top1.png``, their validation
   curves, and ``landscape.png``, the loss landscape and gradient
   predictiveness that ``LandscapeHook`` measured during both runs;
4. trains Faster R-CNN with the GCP_M backbone (``configs/faster_rcnn_r50
   _gcpm.py`` at depth 18, initialised from step 2's GCP network) on a
   generated COCO-format set of shapes, and prints its bbox AP.
"""
import argparse
import json
import os
import os.path as osp
import time

from mmengine.config import Config
from mmengine.runner import Runner

from gcp_mm.analysis.landscape import plot as plot_landscape
from gcp_mm.datasets import (
    CATEGORIES,
    CLASS_NAMES,
    make_coco_shapes_dataset,
    make_color_texture_dataset,
)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'imagenet', 'resnet18_{head}_lradju.py')
DETECTION_CONFIG = osp.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py')
HEADS = ('gap', 'gcp')


def _resize_pipeline(pipeline, size):
    for step in pipeline:
        if step.type == 'RandomResizedCrop':
            step.scale = size
        elif step.type == 'ResizeEdge':
            step.scale = round(size * 256 / 224)  # keep the 256/224 ratio
        elif step.type == 'CenterCrop':
            step.crop_size = size
    return pipeline


def demo_config(config: str, data_root: str, work_dir: str, size: int,
                epochs: int, num_classes: int = len(CLASS_NAMES)) -> Config:
    """The zoo config with the demo's data set and a CPU-sized run."""
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.model.head.num_classes = num_classes
    cfg.data_preprocessor.num_classes = num_classes
    for split, loader in (('train', cfg.train_dataloader),
                          ('val', cfg.val_dataloader),
                          ('val', cfg.test_dataloader)):
        loader.dataset = dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix=split,
            pipeline=_resize_pipeline(loader.dataset.pipeline, size))
        loader.num_workers = 1
    # The recipe's schedule compressed to `epochs`; batch and auto-scaled
    # learning rate as in the config.
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    for sched in cfg.param_scheduler:
        if 'begin' in sched:
            sched.begin = round(sched.begin * scale)
        if 'end' in sched:  # PolyLR / LinearLR span end - 1 steps
            sched.end = round((sched.end - 1) * scale) + 1
        if 'milestones' in sched:
            sched.milestones = [round(m * scale) for m in sched.milestones]
    cfg.auto_scale_lr.enable = True
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 4
    cfg.randomness = dict(seed=0)
    return cfg


def add_landscape_hook(cfg: Config, interval: int, num_steps: int) -> None:
    """The paper's ResNet measurement (REFERENCE.md section 5), sparser."""
    cfg.custom_hooks = [
        dict(type='LandscapeHook', interval=interval,
             split_module='backbone.maxpool', step_range=(0.1, 75.0),
             num_steps=num_steps)
    ]


def detection_demo_config(config: str, data_root: str, work_dir: str,
                          size: int, epochs: int) -> Config:
    """An mmdet config of ``configs/`` on the generated COCO-format shapes
    (``gcp_mm.datasets.coco_shapes``): data root, image size, class count
    and run length overridden."""
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    for split, loader in (('train', cfg.train_dataloader),
                          ('val', cfg.val_dataloader),
                          ('val', cfg.test_dataloader)):
        dataset = loader.dataset
        dataset.data_root = data_root
        dataset.ann_file = f'annotations/{split}.json'
        dataset.data_prefix = dict(img='images/')
        dataset.metainfo = dict(classes=CATEGORIES)
        for step in dataset.pipeline:
            if step.type == 'Resize':
                step.scale = (size, size)
        loader.num_workers = 1
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator.ann_file = osp.join(data_root, 'annotations', 'val.json')
    roi_head = cfg.model.roi_head
    roi_head.bbox_head.num_classes = len(CATEGORIES)
    if roi_head.get('mask_head') is not None:
        roi_head.mask_head.num_classes = len(CATEGORIES)
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    for sched in cfg.param_scheduler:
        if sched.get('by_epoch', True) is False:  # warm-up iterations
            sched.end = min(sched.end, 20)
        elif 'milestones' in sched:
            sched.milestones = [max(1, round(m * scale))
                                for m in sched.milestones]
            sched.end = epochs
    # CPU-sized sampling: 128 RoIs per image, 300 proposals
    cfg.model.train_cfg.rcnn.sampler.num = 128
    cfg.model.train_cfg.rpn_proposal.max_per_img = 300
    cfg.model.test_cfg.rpn.max_per_img = 300
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 10
    cfg.randomness = dict(seed=0)
    return cfg


def run_detection_demo(work_dir: str, backbone_checkpoint: str, size: int,
                       epochs: int, num_train: int, num_val: int,
                       seed: int) -> dict:
    """GCP_M Faster R-CNN on generated shapes. The backbone is the demo's
    GCP ResNet-18 (``configs/faster_rcnn_r50_gcpm.py`` with depth 18 and
    FPN inputs to match), initialised from its classification checkpoint
    the way the R-50 config is from ImageNet weights."""
    data_root = osp.join(work_dir, 'coco_shapes')
    make_coco_shapes_dataset(data_root, num_train, num_val, size, seed=seed)
    cfg = detection_demo_config(DETECTION_CONFIG, data_root,
                                osp.join(work_dir, 'faster_rcnn_gcpm'), size,
                                epochs)
    cfg.model.backbone.depth = 18
    cfg.model.backbone.init_cfg.checkpoint = backbone_checkpoint
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.train_dataloader.batch_size = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test()


def read_val_curve(work_dir: str):
    """(epoch, top-1) pairs from the run's LocalVisBackend scalars."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    curve = []
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if 'accuracy/top1' in record:
                curve.append((record['step'], record['accuracy/top1']))
    return curve


def plot_curves(curves: dict, path: str, title: str):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for label, curve in curves.items():
        epochs, top1 = zip(*curve)
        ax.plot(epochs, top1, marker='o', label=label)
    ax.set_xlabel('epoch')
    ax.set_ylabel('validation top-1 (%)')
    ax.set_title(title)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--train-per-class', type=int, default=64)
    parser.add_argument('--val-per-class', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--landscape-interval', type=int, default=16)
    parser.add_argument('--landscape-steps', type=int, default=5,
                        help='LandscapeHook step sizes; 0 skips it')
    parser.add_argument('--det-epochs', type=int, default=8,
                        help='detection part; 0 skips it')
    parser.add_argument('--det-size', type=int, default=128)
    parser.add_argument('--det-train', type=int, default=96)
    parser.add_argument('--det-val', type=int, default=24)
    args = parser.parse_args(argv)

    data_root = osp.join(args.work_dir, 'data')
    counts = make_color_texture_dataset(data_root, args.train_per_class,
                                        args.val_per_class, args.size,
                                        args.seed)
    print(f'data set: {counts} images of {args.size}px, '
          f'{len(CLASS_NAMES)} classes, in {data_root}')
    curves, results = {}, {}
    for head in HEADS:
        start = time.time()
        run_dir = osp.join(args.work_dir, f'resnet18_{head}')
        cfg = demo_config(CONFIG.format(head=head), data_root, run_dir,
                          args.size, args.epochs)
        if args.landscape_steps:
            add_landscape_hook(cfg, args.landscape_interval,
                               args.landscape_steps)
        Runner.from_cfg(cfg).train()
        curves[f'ResNet-18 {head.upper()}'] = read_val_curve(run_dir)
        results[head] = (curves[f'ResNet-18 {head.upper()}'][-1][1],
                         time.time() - start)
    figure = osp.join(args.work_dir, 'val_top1.png')
    plot_curves(curves, figure,
                f'Colour-texture demo ({args.epochs} epochs, LRadju)')
    if args.landscape_steps:
        landscape_figure = osp.join(args.work_dir, 'landscape.png')
        plot_landscape([osp.join(args.work_dir, f'resnet18_{h}')
                        for h in HEADS],
                       [f'ResNet-18 {h.upper()}' for h in HEADS],
                       landscape_figure)
    if args.det_epochs:
        start = time.time()
        gcp_checkpoint = osp.join(args.work_dir, 'resnet18_gcp',
                                  f'epoch_{args.epochs}.pth')
        detection = run_detection_demo(args.work_dir, gcp_checkpoint,
                                       args.det_size, args.det_epochs,
                                       args.det_train, args.det_val,
                                       args.seed)
        results['faster_rcnn_gcpm'] = (detection['coco/bbox_mAP'],
                                       time.time() - start)
    print('\n== gcp-mm demo: ResNet-18, generated colour textures ==')
    for head in HEADS:
        top1, secs = results[head]
        print(f'{head.upper()}: top-1 {top1:.2f}%  ({secs:.0f} s)')
    print(f'validation curves: {figure}')
    if args.landscape_steps:
        print(f'loss landscape / gradient predictiveness: {landscape_figure}')
    if 'faster_rcnn_gcpm' in results:
        box_ap, secs = results['faster_rcnn_gcpm']
        print('Faster R-CNN, GCP_M ResNet-18 backbone, generated shapes: '
              f'bbox AP {box_ap:.3f}  ({secs:.0f} s)')
    return results


if __name__ == '__main__':
    main()
