"""Validation curves of classification runs: read from a run's
LocalVisBackend scalars, summarised and plotted (tools/demo.py)."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

Curve = List[Tuple[int, float]]


def read_val_curve(work_dir: str) -> Curve:
    """(epoch, top-1) pairs of the newest run in ``work_dir``."""
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


def epoch_to(curve: Sequence[Tuple[int, float]],
             threshold: float = 90.0) -> Optional[int]:
    """The first epoch whose validation top-1 reaches ``threshold``."""
    return next((epoch for epoch, top1 in curve if top1 >= threshold), None)


def _figure():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    return plt, fig, ax


def _save(plt, fig, ax, path: str) -> None:
    ax.set_ylim(0, 100)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curves(curves: Dict[str, Curve], path: str, title: str) -> None:
    """Validation top-1 against epoch, one line per run."""
    plt, fig, ax = _figure()
    for label, curve in curves.items():
        epochs, top1 = zip(*curve)
        ax.plot(epochs, top1, marker='o', label=label)
    ax.set_xlabel('epoch')
    ax.set_ylabel('validation top-1 (%)')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(plt, fig, ax, path)


def plot_lr_sweep(sweep: Dict[str, Dict[str, dict]], path: str,
                  epochs: int) -> None:
    """Final top-1 against learning rate, one line per head; ``sweep``
    maps head -> learning rate (str) -> ``{'top1': ...}``."""
    plt, fig, ax = _figure()
    for head, results in sweep.items():
        rates = sorted(results, key=float)
        ax.plot([float(r) for r in rates],
                [results[r]['top1'] for r in rates], marker='o',
                label=f'ResNet-18 {head.upper()}')
    ax.set_xscale('log')
    ax.set_xlabel('learning rate (batch 32)')
    ax.set_ylabel(f'validation top-1 after {epochs} epochs (%)')
    ax.grid(alpha=0.3, which='both')
    _save(plt, fig, ax, path)


def plot_sweep(sweep: Dict[str, Dict[str, dict]], curves: Dict[str, Curve],
               out_dir: str, epochs: int) -> Dict[str, str]:
    """``lr_sweep.png`` (:func:`plot_lr_sweep`) and ``val_top1.png``
    (:func:`plot_curves`) of a learning-rate sweep in ``out_dir``; their
    paths by name."""
    figures = dict(lr_sweep=osp.join(out_dir, 'lr_sweep.png'),
                   val_top1=osp.join(out_dir, 'val_top1.png'))
    plot_lr_sweep(sweep, figures['lr_sweep'], epochs)
    plot_curves(curves, figures['val_top1'],
                f'Colour textures, LRadju in {epochs} epochs')
    return figures
