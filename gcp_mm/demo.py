"""The README's main job (``tools/demo.py``): the paper's optimisation
story on the CPU in a few minutes.

1. GAP and GCP ResNet-18 (the zoo's ``configs/imagenet/resnet18_{gap,gcp}
   _lradju.py``, only data, image size, class count and run length
   overridden) on generated colour textures whose classes differ only in
   second-order statistics, over a range of learning rates, same recipe
   otherwise (docs/reference.md sections 5 and 8: GCP smooths the
   landscape, so it trains well with larger steps);
2. the fast-decaying schedule (LRfast) against LRadju, both compressed,
   each head at its best rate of the sweep;
3. the loss landscape of both heads at one shared rate (``LandscapeHook``);
4. Faster R-CNN with the GCP_M backbone of the demo's best GCP network on
   generated COCO-format shapes.

Everything is seeded: two runs on one machine print the same numbers.
"""
import itertools
import json
import math
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

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
        loader.persistent_workers = True
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
    give_own_visualizer(cfg)
    return cfg


_CONFIGS_BUILT = itertools.count()


def give_own_visualizer(cfg: Config) -> None:
    """A visualizer name no other config of this process has.

    mmengine hands a Runner the visualizer of any earlier Runner of the
    process with the same name, which still writes into that run's folder.
    mmdet names every visualizer 'visualizer', mmpretrain's are named after
    the config file and the second the run starts, so runs in one process
    (the demo, tests) would share one."""
    cfg.visualizer.name = f'visualizer_{next(_CONFIGS_BUILT)}'


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
        loader.persistent_workers = True
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator.ann_file = osp.join(data_root, 'annotations', 'val.json')
    roi_head = cfg.model.roi_head
    roi_head.bbox_head.num_classes = len(CATEGORIES)
    if roi_head.get('mask_head') is not None:
        roi_head.mask_head.num_classes = len(CATEGORIES)
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    # evaluated once, by the caller's runner.test()
    cfg.train_cfg.val_begin = epochs + 1
    for sched in cfg.param_scheduler:
        if sched.get('by_epoch', True) is False:  # warm-up iterations
            sched.end = min(sched.end, 50)
        elif 'milestones' in sched:
            sched.milestones = [max(1, round(m * scale))
                                for m in sched.milestones]
            sched.end = epochs
    # CPU-sized (docs/demo.md, "Detection"): at most 3 objects an image
    # need 100 proposals (of 400 before NMS); 128 FPN channels, 512-wide
    # box head and 32 sampled RoIs, half of them positive, keep an
    # iteration of 2 images at about 0.15 s on 2 cores; one box regressor
    # for all classes learns from every positive RoI.
    for proposals in (cfg.model.train_cfg.rpn_proposal,
                      cfg.model.test_cfg.rpn):
        proposals.nms_pre, proposals.max_per_img = 400, 100
    channels = 128
    cfg.model.neck.out_channels = channels
    cfg.model.rpn_head.in_channels = channels
    cfg.model.rpn_head.feat_channels = channels
    roi_head.bbox_roi_extractor.out_channels = channels
    roi_head.bbox_head.in_channels = channels
    roi_head.bbox_head.fc_out_channels = 512
    roi_head.bbox_head.reg_class_agnostic = True
    # The box head learns the overlap itself (GIoU on decoded boxes, with
    # mmdet's GIoU configs' weight): with L1 on the deltas, boxes stayed
    # loose (AP75 0.28, docs/demo.md)
    roi_head.bbox_head.reg_decoded_bbox = True
    roi_head.bbox_head.loss_bbox = dict(type='GIoULoss', loss_weight=10.0)
    if roi_head.get('mask_head') is not None:
        roi_head.mask_roi_extractor.out_channels = channels
        roi_head.mask_head.in_channels = channels
    cfg.model.train_cfg.rcnn.sampler.update(num=32, pos_fraction=0.5)
    # BN adapts to the new images. Unclipped, a rate of 0.02 kills the
    # box head's ReLUs within 80 iterations (its gradient norm is 10-20);
    # clipped at norm 2, every step is at most 2 x lr long and they live.
    cfg.model.backbone.norm_eval = False
    cfg.optim_wrapper.clip_grad = dict(max_norm=2, norm_type=2)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 10
    cfg.randomness = dict(seed=0)
    give_own_visualizer(cfg)
    return cfg


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




@dataclass
class DemoSettings:
    """Sizes of the demo; the defaults fit 10 minutes on 2 CPU cores."""
    size: int = 48  # texture images, pixels
    train_per_class: int = 48
    val_per_class: int = 16
    epochs: int = 8  # LRadju compressed to this many epochs
    # the learning rates, as multiples of the config's auto-scaled one
    lr_factors: Tuple[float, ...] = (0.5, 1.0, 4.0)
    # LRfast (60% of the epochs), each head at its best rate of the sweep
    fast_schedule: bool = False
    landscape_interval: int = 12  # iterations; 0 skips the measurement
    landscape_steps: int = 4
    det_epochs: int = 11  # 0 skips the detection part
    det_size: int = 96
    det_train: int = 192
    det_val: int = 24
    det_batch_size: int = 2
    det_lr: float = 0.02
    seed: int = 0


def auto_scaled_lr(cfg: Config) -> float:
    """The config's learning rate scaled to its batch (1 process), as
    ``auto_scale_lr`` does."""
    return (cfg.optim_wrapper.optimizer.lr * cfg.train_dataloader.batch_size /
            cfg.auto_scale_lr.base_batch_size)


def epoch_to(curve: Sequence[Tuple[int, float]],
             threshold: float = 90.0) -> Optional[int]:
    """The first epoch whose validation top-1 reaches ``threshold``."""
    return next((epoch for epoch, top1 in curve if top1 >= threshold), None)


def lr_key(lr: float) -> str:
    return f'{lr:.4g}'


def best_rate(results: Dict[str, dict]) -> str:
    """The learning rate (key) of the best final top-1, the smaller rate
    on a tie."""
    return max(results, key=lambda r: (results[r]['top1'], -float(r)))


def train_classifier(head: str, data_root: str, work_dir: str,
                     settings: DemoSettings, lr: float,
                     schedule: str = 'lradju',
                     landscape: bool = False) -> List[Tuple[int, float]]:
    """Train one ResNet-18 of the zoo at ``lr``; its validation curve."""
    config = CONFIG.replace('lradju', schedule).format(head=head)
    epochs = settings.epochs if schedule == 'lradju' else max(
        1, round(settings.epochs * 30 / 50))  # LRfast: 30 of LRadju's 50
    cfg = demo_config(config, data_root, work_dir, settings.size, epochs)
    cfg.auto_scale_lr.enable = False
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.randomness = dict(seed=settings.seed)
    if landscape and settings.landscape_interval:
        add_landscape_hook(cfg, settings.landscape_interval,
                           settings.landscape_steps)
    Runner.from_cfg(cfg).train()
    return read_val_curve(work_dir)


def detection_demo(work_dir: str, backbone_checkpoint: str,
                   settings: DemoSettings) -> dict:
    """GCP_M Faster R-CNN on generated shapes. The backbone is the demo's
    GCP ResNet-18 (``configs/faster_rcnn_r50_gcpm.py`` at depth 18, FPN
    inputs to match), initialised from its classification checkpoint the
    way the R-50 config is from ImageNet weights."""
    data_root = osp.join(work_dir, 'coco_shapes')
    make_coco_shapes_dataset(data_root, settings.det_train, settings.det_val,
                             settings.det_size, seed=settings.seed)
    cfg = detection_demo_config(DETECTION_CONFIG, data_root,
                                osp.join(work_dir, 'faster_rcnn_gcpm'),
                                settings.det_size, settings.det_epochs)
    cfg.model.backbone.depth = 18
    cfg.model.backbone.init_cfg.checkpoint = backbone_checkpoint
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.train_dataloader.batch_size = settings.det_batch_size
    cfg.auto_scale_lr.enable = False
    cfg.optim_wrapper.optimizer.lr = settings.det_lr
    cfg.randomness = dict(seed=settings.seed)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test()


def plot_lr_sweep(sweep: Dict[str, Dict[str, dict]], path: str,
                  epochs: int) -> None:
    """Final top-1 against learning rate, one line per head."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for head, results in sweep.items():
        rates = sorted(results, key=float)
        ax.plot([float(r) for r in rates],
                [results[r]['top1'] for r in rates], marker='o',
                label=f'ResNet-18 {head.upper()}')
    ax.set_xscale('log')
    ax.set_xlabel('learning rate (batch 32)')
    ax.set_ylabel(f'validation top-1 after {epochs} epochs (%)')
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3, which='both')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run_demo(work_dir: str, settings: DemoSettings = DemoSettings(),
             log=print) -> dict:
    """Run the demo into ``work_dir`` and write ``summary.json`` there.

    Returns the summary: ``classification`` (per head and learning rate,
    final top-1 and the first epoch reaching 90%), ``fast_schedule`` (the
    same for LRfast and LRadju at the 1x rate), ``detection`` (bbox AP),
    ``seconds`` per part, ``settings`` and the ``figures`` written.
    """
    from gcp_mm.analysis.landscape import plot as plot_landscape
    from gcp_mm.datasets import make_color_texture_dataset

    start = time.time()
    data_root = osp.join(work_dir, 'data')
    counts = make_color_texture_dataset(data_root, settings.train_per_class,
                                        settings.val_per_class,
                                        settings.size, settings.seed)
    log(f'data set: {counts} images of {settings.size}px, '
        f'{len(CLASS_NAMES)} classes, in {data_root}')
    base_lr = auto_scaled_lr(Config.fromfile(CONFIG.format(head='gcp')))
    # the landscape runs at the rate closest to the config's own
    shared = min(settings.lr_factors, key=lambda f: abs(math.log(f)))
    shared_lr = base_lr * shared
    sweep: Dict[str, Dict[str, dict]] = {head: {} for head in HEADS}
    curves, checkpoints, figures = {}, {}, {}
    for factor in settings.lr_factors:
        lr = base_lr * factor
        for head in HEADS:
            run_dir = osp.join(work_dir, f'resnet18_{head}_lr{lr_key(lr)}')
            curve = train_classifier(head, data_root, run_dir, settings, lr,
                                     landscape=factor == shared)
            sweep[head][lr_key(lr)] = dict(top1=curve[-1][1],
                                           epoch_to_90=epoch_to(curve))
            curves[f'{head.upper()} lr {lr_key(lr)}'] = curve
            checkpoints[(head, lr_key(lr))] = osp.join(
                run_dir, f'epoch_{settings.epochs}.pth')
            log(f'{head.upper()} lr {lr_key(lr)}: top-1 {curve[-1][1]:.1f}%'
                f', 90% at epoch {epoch_to(curve)}')
    fast: Dict[str, Dict[str, dict]] = {}
    if settings.fast_schedule:
        rates = {lr_key(base_lr * f): base_lr * f
                 for f in settings.lr_factors}
        for head in HEADS:
            # each head at its own best rate of the sweep: the schedules
            # are compared where the head learns at all
            best = best_rate(sweep[head])
            run_dir = osp.join(work_dir, f'resnet18_{head}_lrfast')
            # LRfast starts at 0.1233 where LRadju starts at 0.1041
            lrfast = rates[best] * (53 / 52)**11 / (50 / 49)**2
            curve = train_classifier(head, data_root, run_dir, settings,
                                     lrfast, schedule='lrfast')
            fast[head] = dict(
                lrfast=dict(top1=curve[-1][1], epochs=curve[-1][0],
                            epoch_to_90=epoch_to(curve), lr=lr_key(lrfast)),
                lradju=dict(sweep[head][best], epochs=settings.epochs,
                            lr=best))
            log(f'{head.upper()} LRfast ({curve[-1][0]} epochs, lr '
                f'{lr_key(lrfast)}): top-1 {curve[-1][1]:.1f}%')
    seconds = dict(classification=time.time() - start)

    figures['lr_sweep'] = osp.join(work_dir, 'lr_sweep.png')
    plot_lr_sweep(sweep, figures['lr_sweep'], settings.epochs)
    figures['val_top1'] = osp.join(work_dir, 'val_top1.png')
    plot_curves(curves, figures['val_top1'],
                f'Colour textures, LRadju in {settings.epochs} epochs')
    if settings.landscape_interval:
        figures['landscape'] = osp.join(work_dir, 'landscape.png')
        plot_landscape(
            [osp.join(work_dir, f'resnet18_{h}_lr{lr_key(shared_lr)}')
             for h in HEADS],
            [f'ResNet-18 {h.upper()}, lr {lr_key(shared_lr)}'
             for h in HEADS],
            figures['landscape'])

    detection = {}
    if settings.det_epochs:
        det_start = time.time()
        best = best_rate(sweep['gcp'])
        metrics = detection_demo(work_dir, checkpoints[('gcp', best)],
                                 settings)
        detection = {k.split('/')[-1]: v for k, v in metrics.items()
                     if k.startswith('coco/bbox_mAP')}
        detection['backbone_lr'] = best
        seconds['detection'] = time.time() - det_start
    seconds['total'] = time.time() - start
    summary = dict(classification=sweep, fast_schedule=fast,
                   detection=detection,
                   seconds={k: round(v, 1) for k, v in seconds.items()},
                   settings=asdict(settings), figures=figures)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary
