"""The README's main job: GAP vs GCP on a generated colour-texture set,
then a GCP_M detector on generated shapes (``tools/demo.py`` runs it).

The demo trains the zoo's own configs (``configs/imagenet/resnet18_{gap,gcp}
_lradju.py``, ``configs/faster_rcnn_r50_gcpm.py``) with only the data, image
size, class count and run length overridden, on the CPU.
"""
import json
import os
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from gcp_mm.apis import set_pipeline_input_size
from gcp_mm.datasets import CATEGORIES, CLASS_NAMES, make_coco_shapes_dataset

# the configs ship beside the package, as the repository lays them out
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'imagenet', 'resnet18_{head}_lradju.py')
DETECTION_CONFIG = osp.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py')
HEADS = ('gap', 'gcp')


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
        pipeline = loader.dataset.pipeline
        set_pipeline_input_size(pipeline, size)
        loader.dataset = dict(type='CustomDataset', data_root=data_root,
                              data_prefix=split, pipeline=pipeline)
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
    """The paper's ResNet measurement (docs/reference.md section 5),
    sparser."""
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


def run_demo(work_dir: str,
             epochs: int = 10,
             size: int = 64,
             train_per_class: int = 64,
             val_per_class: int = 32,
             seed: int = 0,
             landscape_interval: int = 16,
             landscape_steps: int = 5,
             det_epochs: int = 8,
             det_size: int = 128,
             det_train: int = 96,
             det_val: int = 24,
             log=print) -> dict:
    """Run the demo into ``work_dir``. Returns {'gap'|'gcp'|
    'faster_rcnn_gcpm': (metric, seconds)} and the paths of the figures
    under 'figures'; ``landscape_steps`` or ``det_epochs`` of 0 skip those
    parts."""
    import time

    from gcp_mm.analysis.landscape import plot as plot_landscape
    from gcp_mm.datasets import make_color_texture_dataset

    data_root = osp.join(work_dir, 'data')
    counts = make_color_texture_dataset(data_root, train_per_class,
                                        val_per_class, size, seed)
    log(f'data set: {counts} images of {size}px, {len(CLASS_NAMES)} '
        f'classes, in {data_root}')
    curves, results, figures = {}, {}, {}
    for head in HEADS:
        start = time.time()
        run_dir = osp.join(work_dir, f'resnet18_{head}')
        cfg = demo_config(CONFIG.format(head=head), data_root, run_dir, size,
                          epochs)
        if landscape_steps:
            add_landscape_hook(cfg, landscape_interval, landscape_steps)
        Runner.from_cfg(cfg).train()
        label = f'ResNet-18 {head.upper()}'
        curves[label] = read_val_curve(run_dir)
        results[head] = (curves[label][-1][1], time.time() - start)
    figures['val_top1'] = osp.join(work_dir, 'val_top1.png')
    plot_curves(curves, figures['val_top1'],
                f'Colour-texture demo ({epochs} epochs, LRadju)')
    if landscape_steps:
        figures['landscape'] = osp.join(work_dir, 'landscape.png')
        plot_landscape([osp.join(work_dir, f'resnet18_{h}') for h in HEADS],
                       [f'ResNet-18 {h.upper()}' for h in HEADS],
                       figures['landscape'])
    if det_epochs:
        start = time.time()
        gcp_checkpoint = osp.join(work_dir, 'resnet18_gcp',
                                  f'epoch_{epochs}.pth')
        detection = run_detection_demo(work_dir, gcp_checkpoint, det_size,
                                       det_epochs, det_train, det_val, seed)
        results['faster_rcnn_gcpm'] = (detection['coco/bbox_mAP'],
                                       time.time() - start)
    results['figures'] = figures
    return results
