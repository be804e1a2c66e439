"""The demo's learning-rate sweep read over seeds: each (head, rate)
summarised by the mean and spread of its final top-1, the rate each head
learns best at, and a rate at which both heads learn, for the landscape
figures (docs/demo.md)."""
import math
import statistics
from typing import Dict, List, Optional, Sequence

from gcp_mm.analysis import epoch_to

# A head "has left chance" at a rate when its final validation top-1 is at
# least this: 4x chance for the demo's 8 classes, where a network whose
# loss still sits at ln 8 stays near 12.5-35%.
LEARNED_TOP1 = 50.0


def mean_curve(curves: Sequence[Sequence]) -> List[tuple]:
    """(epoch, mean top-1 over the seeds) of curves of equal epochs."""
    return [(points[0][0], statistics.mean(p[1] for p in points))
            for points in zip(*curves)]


def summarise_seeds(curves: Sequence[Sequence]) -> dict:
    """Final top-1 of one (head, rate) over seeds: its mean (``top1``), per
    seed, standard deviation (None for one seed), and the first epoch at
    which the mean curve reaches 90%."""
    finals = [curve[-1][1] for curve in curves]
    return dict(
        top1=statistics.mean(finals), top1_seeds=finals,
        top1_std=statistics.stdev(finals) if len(finals) > 1 else None,
        epoch_to_90=epoch_to(mean_curve(curves)))


def best_rate(results: Dict[str, dict]) -> str:
    """The learning rate (key) of the best (mean) final top-1, the smaller
    rate on a tie."""
    return max(results, key=lambda r: (results[r]['top1'], -float(r)))


def shared_learning_rate(sweep: Dict[str, Dict[str, dict]],
                         threshold: float = LEARNED_TOP1) -> Optional[str]:
    """The rate (key) at which the worst head is best, if every head has
    left chance there (top-1 >= ``threshold``); else None."""
    rates = set.intersection(*(set(results) for results in sweep.values()))
    if not rates:
        return None
    worst = {rate: min(results[rate]['top1'] for results in sweep.values())
             for rate in rates}
    rate = max(sorted(rates, key=float), key=lambda r: worst[r])
    return rate if worst[rate] >= threshold else None


def chance_loss(num_classes: int) -> float:
    """Cross-entropy of a uniform guess: ln(classes)."""
    return math.log(num_classes)
