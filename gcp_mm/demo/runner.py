"""The README's main job (``tools/demo.py``, docs/demo.md), run from the
configs in ``configs/demo/``: GAP and GCP ResNet-18 of the zoo on generated
textures over a range of learning rates and seeds (optionally LRfast
against LRadju), the loss landscape of both where they learn, and a GCP_M
Faster R-CNN on generated shapes. Everything is seeded: two runs on one
machine print the same numbers."""
import json
import os.path as osp
import time
from dataclasses import asdict, dataclass, replace
from typing import Dict, List, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

from gcp_mm.analysis import plot as plot_landscape
from gcp_mm.analysis import plot_sweep, read_val_curve
from gcp_mm.engine import stop_runner_workers
from gcp_mm.resources import config_path

from .configs import config_on_data
from .data import (
    CLASS_NAMES,
    make_coco_shapes_dataset,
    make_color_texture_dataset,
)
from .sweep import (
    LEARNED_TOP1,
    best_rate,
    chance_loss,
    mean_curve,
    shared_learning_rate,
    summarise_seeds,
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
    # the sweep's training seeds: seed, seed + 1, ... (the data: seed)
    seeds: int = 1
    # iterations; 0 skips the measurement (on every run of the first seed)
    landscape_interval: int = 12
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
    runner = Runner.from_cfg(cfg)
    runner.train()
    stop_runner_workers(runner)  # not 5 s each at the next run's gc
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
    metrics = runner.test()
    stop_runner_workers(runner)
    return metrics


def run_dir(work_dir: str, head: str, lr: str, seed_index: int = 0) -> str:
    """The first seed's runs keep the one-seed demo's folder names."""
    suffix = f'_seed{seed_index}' if seed_index else ''
    return osp.join(work_dir, f'resnet18_{head}_lr{lr}{suffix}')


def seeded(settings: DemoSettings, seed_index: int) -> DemoSettings:
    return replace(settings, seed=settings.seed + seed_index)


def run_demo(work_dir: str, settings: DemoSettings = DemoSettings(),
             log=print) -> dict:
    """Run the demo into ``work_dir``; its summary (per head and rate the
    mean, per-seed values and spread of top-1 and the epoch of 90%;
    LRfast; the landscape runs; bbox AP; seconds; settings; figures), also
    written to ``summary.json`` there."""
    start = time.time()
    data_root = osp.join(work_dir, 'data')
    counts = make_color_texture_dataset(
        data_root, settings.train_per_class, settings.val_per_class,
        settings.size, settings.seed)
    log(f'data set: {counts} images of {settings.size}px, '
        f'{len(CLASS_NAMES)} classes, in {data_root}')
    base_lr = auto_scaled_lr(Config.fromfile(
        demo_config('resnet18_gcp_lradju_textures.py')))
    rates = {lr_key(base_lr * f): base_lr * f for f in settings.lr_factors}
    sweep: Dict[str, Dict[str, dict]] = {head: {} for head in HEADS}
    curves, fast = {}, {}
    for lr, rate in rates.items():
        for head in HEADS:
            seed_curves = [
                train_classifier(head, data_root, run_dir(work_dir, head, lr,
                                                          i),
                                 seeded(settings, i), rate,
                                 landscape=i == 0)
                for i in range(settings.seeds)]
            sweep[head][lr] = summarise_seeds(seed_curves)
            curves[f'{head.upper()} lr {lr}'] = mean_curve(seed_curves)
            log(f'{head.upper()} lr {lr}: top-1 '
                f'{_spread(sweep[head][lr])}, 90% at epoch '
                f'{sweep[head][lr]["epoch_to_90"]}')
    if settings.fast_schedule:
        for head in HEADS:
            # each head at its own best rate: the schedules are compared
            # where the head learns at all
            best = best_rate(sweep[head])
            # LRfast starts at 0.1233 where LRadju starts at 0.1041
            lrfast = rates[best] * (53 / 52)**11 / (50 / 49)**2
            seed_curves = [train_classifier(
                head, data_root,
                osp.join(work_dir, f'resnet18_{head}_lrfast' +
                         (f'_seed{i}' if i else '')),
                seeded(settings, i), lrfast, schedule='lrfast')
                for i in range(settings.seeds)]
            fast[head] = dict(
                lrfast=dict(summarise_seeds(seed_curves),
                            epochs=seed_curves[0][-1][0], lr=lr_key(lrfast)),
                lradju=dict(sweep[head][best], epochs=settings.epochs,
                            lr=best))
            log(f'{head.upper()} LRfast ({seed_curves[0][-1][0]} epochs, lr '
                f'{lr_key(lrfast)}): top-1 {_spread(fast[head]["lrfast"])}')
    seconds = dict(classification=time.time() - start)

    figures = plot_sweep(sweep, curves, work_dir, settings.epochs)
    landscape = {}
    if settings.landscape_interval:
        landscape = dict(best={h: best_rate(sweep[h]) for h in HEADS},
                         shared=shared_learning_rate(sweep),
                         learned_top1=LEARNED_TOP1,
                         chance_loss=chance_loss(len(CLASS_NAMES)))
        figures.update(landscape_figures(work_dir, sweep, landscape))

    detection = {}
    if settings.det_epochs:
        det_start = time.time()
        best = best_rate(sweep['gcp'])
        metrics = detection_demo(work_dir, osp.join(
            run_dir(work_dir, 'gcp', best), f'epoch_{settings.epochs}.pth'
        ), settings)
        detection = {k.split('/')[-1]: v for k, v in metrics.items()
                     if k.startswith('coco/bbox_mAP')}
        detection['backbone_lr'] = best
        seconds['detection'] = time.time() - det_start
    seconds['total'] = time.time() - start
    summary = dict(classification=sweep, fast_schedule=fast,
                   landscape=landscape, detection=detection,
                   seconds={k: round(v, 1) for k, v in seconds.items()},
                   settings=asdict(settings), figures=figures)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


def landscape_figures(work_dir: str, sweep: Dict[str, Dict[str, dict]],
                      landscape: dict) -> Dict[str, str]:
    """``landscape.png``: each head at its own best rate;
    ``landscape_shared.png``: both at the rate where both learn (if one of
    the sweep's is). Chance level is drawn on the loss panel."""
    def draw(name: str, runs: List[Tuple[str, str]]) -> str:
        path = osp.join(work_dir, f'{name}.png')
        plot_landscape(
            [run_dir(work_dir, head, lr) for head, lr in runs],
            [f'ResNet-18 {head.upper()}, lr {lr} (top-1 '
             f'{sweep[head][lr]["top1"]:.1f}%)' for head, lr in runs],
            path, chance_loss=landscape['chance_loss'])
        return path

    figures = dict(landscape=draw('landscape', list(
        landscape['best'].items())))
    if landscape['shared']:
        figures['landscape_shared'] = draw(
            'landscape_shared', [(h, landscape['shared']) for h in HEADS])
    return figures


def _spread(result: dict) -> str:
    if result['top1_std'] is None:
        return f'{result["top1"]:.1f}%'
    return (f'{result["top1"]:.1f}% +- {result["top1_std"]:.1f} over '
            f'{len(result["top1_seeds"])} seeds')
