"""The README's main job (``tools/demo.py``, docs/demo.md), run from the
configs in ``configs/demo/``: GAP and GCP ResNet-18 of the zoo on generated
textures over a range of learning rates (optionally LRfast against LRadju),
the loss landscape of both, and a GCP_M Faster R-CNN on generated shapes.
Everything is seeded: two runs on one machine print the same numbers."""
import json
import math
import os.path as osp
import time
from dataclasses import asdict, dataclass
from typing import Dict, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

from gcp_mm.analysis import epoch_to, plot_sweep, read_val_curve
from gcp_mm.analysis import plot as plot_landscape
from gcp_mm.resources import config_path

from .configs import config_on_data
from .data import (
    CLASS_NAMES,
    make_coco_shapes_dataset,
    make_color_texture_dataset,
)

HEADS = ('gap', 'gcp')


def demo_config(name: str) -> str:
    return config_path('demo', name)


@dataclass
class DemoSettings:
    """Sizes of the demo; the defaults are the configs' and fit 10 minutes
    on 2 CPU cores."""
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


def run_config(config: str, data_root: str, work_dir: str, size: int,
               epochs: int, lr: float, seed: int) -> Config:
    """A demo config with the settings that differ from its own values."""
    cfg = config_on_data(config, data_root, work_dir, size, epochs)
    cfg.auto_scale_lr.enable = False
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.randomness = dict(seed=seed)
    return cfg


def auto_scaled_lr(cfg: Config) -> float:
    """The config's rate scaled to its batch, as ``auto_scale_lr`` does."""
    return (cfg.optim_wrapper.optimizer.lr * cfg.train_dataloader.batch_size /
            cfg.auto_scale_lr.base_batch_size)


def lr_key(lr: float) -> str:
    return f'{lr:.4g}'


def best_rate(results: Dict[str, dict]) -> str:
    """The learning rate (key) of the best final top-1, the smaller rate
    on a tie."""
    return max(results, key=lambda r: (results[r]['top1'], -float(r)))


def train_classifier(head: str, data_root: str, work_dir: str,
                     settings: DemoSettings, lr: float,
                     schedule: str = 'lradju', landscape: bool = False):
    """Train one ResNet-18 of the zoo at ``lr``; its validation curve."""
    epochs = settings.epochs if schedule == 'lradju' else max(
        1, round(settings.epochs * 30 / 50))  # LRfast: 30 of LRadju's 50
    cfg = run_config(demo_config(f'resnet18_{head}_{schedule}_textures.py'),
                     data_root, work_dir, settings.size, epochs, lr,
                     settings.seed)
    if landscape and settings.landscape_interval:  # the paper's, sparser
        paper = Config.fromfile(
            config_path('landscape', '_base_', 'resnet18_landscape.py'))
        cfg.custom_hooks = cfg.get('custom_hooks', []) + [dict(
            paper.landscape_hook, interval=settings.landscape_interval,
            num_steps=settings.landscape_steps)]
    Runner.from_cfg(cfg).train()
    return read_val_curve(work_dir)


def detection_demo(work_dir: str, backbone_checkpoint: str,
                   settings: DemoSettings) -> dict:
    """GCP_M Faster R-CNN (``configs/demo/faster_rcnn_r18_gcpm_shapes.py``)
    on generated shapes, its backbone from ``backbone_checkpoint``."""
    data_root = osp.join(work_dir, 'coco_shapes')
    make_coco_shapes_dataset(data_root, settings.det_train, settings.det_val,
                             settings.det_size, seed=settings.seed)
    cfg = run_config(demo_config('faster_rcnn_r18_gcpm_shapes.py'),
                     data_root, osp.join(work_dir, 'faster_rcnn_gcpm'),
                     settings.det_size, settings.det_epochs,
                     settings.det_lr, settings.seed)
    cfg.model.backbone.init_cfg.checkpoint = backbone_checkpoint
    cfg.train_dataloader.batch_size = settings.det_batch_size
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test()


def run_demo(work_dir: str, settings: DemoSettings = DemoSettings(),
             log=print) -> dict:
    """Run the demo into ``work_dir``; its summary (top-1 and the epoch of
    90% per head and rate, LRfast, bbox AP, seconds, settings, figures),
    also written to ``summary.json`` there."""
    start = time.time()
    data_root = osp.join(work_dir, 'data')
    counts = make_color_texture_dataset(
        data_root, settings.train_per_class, settings.val_per_class,
        settings.size, settings.seed)
    log(f'data set: {counts} images of {settings.size}px, '
        f'{len(CLASS_NAMES)} classes, in {data_root}')
    base_lr = auto_scaled_lr(Config.fromfile(
        demo_config('resnet18_gcp_lradju_textures.py')))
    # the landscape runs at the rate closest to the config's own
    shared = min(settings.lr_factors, key=lambda f: abs(math.log(f)))
    sweep: Dict[str, Dict[str, dict]] = {head: {} for head in HEADS}
    curves, fast = {}, {}
    for factor in settings.lr_factors:
        lr = lr_key(base_lr * factor)
        for head in HEADS:
            run_dir = osp.join(work_dir, f'resnet18_{head}_lr{lr}')
            curve = train_classifier(head, data_root, run_dir, settings,
                                     base_lr * factor,
                                     landscape=factor == shared)
            sweep[head][lr] = dict(top1=curve[-1][1],
                                   epoch_to_90=epoch_to(curve))
            curves[f'{head.upper()} lr {lr}'] = curve
            log(f'{head.upper()} lr {lr}: top-1 {curve[-1][1]:.1f}%, 90% '
                f'at epoch {epoch_to(curve)}')
    if settings.fast_schedule:
        rates = {lr_key(base_lr * f): base_lr * f
                 for f in settings.lr_factors}
        for head in HEADS:
            # each head at its own best rate: the schedules are compared
            # where the head learns at all
            best = best_rate(sweep[head])
            # LRfast starts at 0.1233 where LRadju starts at 0.1041
            lrfast = rates[best] * (53 / 52)**11 / (50 / 49)**2
            curve = train_classifier(
                head, data_root, osp.join(work_dir, f'resnet18_{head}_lrfast'),
                settings, lrfast, schedule='lrfast')
            fast[head] = dict(
                lrfast=dict(top1=curve[-1][1], epochs=curve[-1][0],
                            epoch_to_90=epoch_to(curve), lr=lr_key(lrfast)),
                lradju=dict(sweep[head][best], epochs=settings.epochs,
                            lr=best))
            log(f'{head.upper()} LRfast ({curve[-1][0]} epochs, lr '
                f'{lr_key(lrfast)}): top-1 {curve[-1][1]:.1f}%')
    seconds = dict(classification=time.time() - start)

    figures = plot_sweep(sweep, curves, work_dir, settings.epochs)
    if settings.landscape_interval:
        shared_lr = lr_key(base_lr * shared)
        figures['landscape'] = osp.join(work_dir, 'landscape.png')
        plot_landscape(
            [osp.join(work_dir, f'resnet18_{h}_lr{shared_lr}') for h in HEADS],
            [f'ResNet-18 {h.upper()}, lr {shared_lr}' for h in HEADS],
            figures['landscape'])

    detection = {}
    if settings.det_epochs:
        det_start = time.time()
        best = best_rate(sweep['gcp'])
        metrics = detection_demo(work_dir, osp.join(
            work_dir, f'resnet18_gcp_lr{best}', f'epoch_{settings.epochs}.pth'
        ), settings)
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
