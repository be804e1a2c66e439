"""Loss-landscape records of ``LandscapeHook`` and the paper's figure
(docs/reference.md section 5)."""
import glob
import json
import os
import os.path as osp
from typing import Optional

import numpy as np


def find_records(run_dir: str):
    files = glob.glob(osp.join(run_dir, '**', 'landscape.jsonl'),
                      recursive=True)
    if not files:
        raise FileNotFoundError(f'no landscape.jsonl under {run_dir}: run '
                                'training with LandscapeHook first')
    with open(max(files, key=os.path.getmtime)) as f:
        return [json.loads(line) for line in f if line.strip()]


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.pad(values, (window // 2, window - 1 - window // 2),
                    mode='edge')
    return np.convolve(padded, kernel, mode='valid')


def bands(records, key: str, window: int):
    steps = np.array([r['iter'] for r in records])
    values = [np.asarray(r[key], dtype=float) for r in records]
    low = smooth(np.array([v.min() for v in values]), window)
    high = smooth(np.array([v.max() for v in values]), window)
    return steps, low, high


def figure(run_dirs, labels, window: int = 1,
           chance_loss: Optional[float] = None):
    """The paper's figure of the runs' records (a matplotlib Figure);
    ``chance_loss`` (ln of the class count) is drawn on the loss panel:
    bands that stay on it belong to a network that has not started
    learning, whose flatness says nothing about a training trajectory's
    landscape."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=120)
    panels = (('loss', 'loss landscape  L(X + \u03b7 g)', 'loss'),
              ('grad_diff', 'gradient predictiveness',
               '\u2016\u2207L(X + \u03b7 g) \u2212 g\u2016\u2082'))
    for run_dir, label in zip(run_dirs, labels):
        records = find_records(run_dir)
        for ax, (key, title, ylabel) in zip(axes, panels):
            steps, low, high = bands(records, key, window)
            line, = ax.plot(steps, high, lw=1)
            ax.plot(steps, low, lw=1, color=line.get_color())
            ax.fill_between(steps, low, high, alpha=0.3,
                            color=line.get_color(), label=label)
            ax.set_title(title)
            ax.set_xlabel('training step (iteration)')
            ax.set_ylabel(ylabel)
    if chance_loss is not None:
        axes[0].axhline(chance_loss, color='black', ls='--', lw=1,
                        label=f'chance: ln(classes) = {chance_loss:.3f}')
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(title='min-max over step sizes \u03b7')
    fig.tight_layout()
    return fig


def plot(run_dirs, labels, out: str, window: int = 1,
         chance_loss: Optional[float] = None):
    """:func:`figure`, written to ``out`` (PNG; folders are created)."""
    import matplotlib.pyplot as plt
    fig = figure(run_dirs, labels, window, chance_loss)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
