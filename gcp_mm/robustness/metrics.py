"""ImageNet-C / ImageNet-P metrics (Hendrycks & Dietterich, ICLR 2019), as
defined in docs/robustness.md.

Errors are fractions in [0, 1]; the summary numbers are reported in % as
the paper does.
"""
from typing import Dict, Mapping, Sequence

import numpy as np

BENCHMARK_CORRUPTIONS = (
    'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur',
    'glass_blur', 'motion_blur', 'zoom_blur', 'snow', 'frost', 'fog',
    'brightness', 'contrast', 'elastic_transform', 'pixelate',
    'jpeg_compression')
SEVERITIES = (1, 2, 3, 4, 5)
# the 10 ImageNet-P test perturbations, the only ones evaluated
TEST_PERTURBATIONS = ('gaussian_noise', 'shot_noise', 'motion_blur',
                      'zoom_blur', 'snow', 'brightness', 'translate',
                      'rotate', 'tilt', 'scale')
DIFFICULTIES = (1, 2, 3)

ALEXNET_CLEAN_ERROR = 0.4348
# AlexNet top-1 error per corruption, severities 1..5 (docs/robustness.md):
# the 15 benchmark corruptions and the 4 extra (validation) ones; these are
# the corruptions that can be evaluated.
ALEXNET_ERRORS = {
    'gaussian_noise': (0.69528, 0.82542, 0.93554, 0.98138, 0.99452),
    'shot_noise': (0.71224, 0.85108, 0.93574, 0.98182, 0.99146),
    'impulse_noise': (0.78374, 0.89808, 0.94870, 0.98720, 0.99548),
    'defocus_blur': (0.65624, 0.73202, 0.85036, 0.91364, 0.94714),
    'glass_blur': (0.64308, 0.75054, 0.88806, 0.91622, 0.93344),
    'motion_blur': (0.58430, 0.70048, 0.82108, 0.89750, 0.92638),
    'zoom_blur': (0.70008, 0.76992, 0.80784, 0.84198, 0.87198),
    'snow': (0.71726, 0.88392, 0.86468, 0.91870, 0.94952),
    'frost': (0.61390, 0.79734, 0.88790, 0.89942, 0.93430),
    'fog': (0.67474, 0.76050, 0.84378, 0.87260, 0.94500),
    'brightness': (0.45140, 0.48502, 0.54048, 0.62166, 0.72440),
    'contrast': (0.64548, 0.76150, 0.88874, 0.97760, 0.99270),
    'elastic_transform': (0.52596, 0.70116, 0.55686, 0.64076, 0.80554),
    'pixelate': (0.52218, 0.54620, 0.73728, 0.87092, 0.91262),
    'jpeg_compression': (0.51002, 0.54718, 0.57294, 0.65458, 0.74778),
    'speckle_noise': (0.66192, 0.74440, 0.90246, 0.94548, 0.97268),
    'gaussian_blur': (0.54732, 0.70444, 0.82574, 0.89864, 0.95940),
    'spatter': (0.47196, 0.62194, 0.75052, 0.84132, 0.90182),
    'saturate': (0.59342, 0.65514, 0.51174, 0.70834, 0.82260),
}


def corruption_error(errors: Sequence[float], corruption: str) -> float:
    """CE_c = sum_s E_{s,c} / sum_s E^AlexNet_{s,c} (a fraction)."""
    return float(np.sum(errors) / np.sum(ALEXNET_ERRORS[corruption]))


def relative_corruption_error(errors: Sequence[float], clean_error: float,
                              corruption: str) -> float:
    """sum_s (E_{s,c} - E_clean) / sum_s (E^AlexNet_{s,c} - E^AlexNet_clean).
    """
    alexnet = np.asarray(ALEXNET_ERRORS[corruption])
    return float(np.sum(np.asarray(errors) - clean_error) /
                 np.sum(alexnet - ALEXNET_CLEAN_ERROR))


def imagenet_c_summary(errors: Mapping[str, Sequence[float]],
                       clean_error: float) -> Dict[str, object]:
    """CE, relative CE per corruption and mCE / relative mCE (means over
    the 15 benchmark corruptions), all in %. ``errors[c]`` holds the top-1
    errors at severities 1..5."""
    missing = [c for c in BENCHMARK_CORRUPTIONS if c not in errors]
    if missing:
        raise ValueError(f'mCE needs all 15 benchmark corruptions; missing: '
                         f'{", ".join(missing)}')
    ce = {c: 100 * corruption_error(e, c) for c, e in errors.items()}
    rel = {c: 100 * relative_corruption_error(e, clean_error, c)
           for c, e in errors.items()}
    return dict(
        clean_error=100 * clean_error,
        ce=ce,
        relative_ce=rel,
        mce=float(np.mean([ce[c] for c in BENCHMARK_CORRUPTIONS])),
        relative_mce=float(np.mean([rel[c] for c in BENCHMARK_CORRUPTIONS])))


def is_noise(perturbation: str) -> bool:
    """Noise perturbations compare every frame with the clean frame 0 and
    keep each difficulty in its own folder; the others compare consecutive
    frames (docs/robustness.md)."""
    return 'noise' in perturbation


def _compared_pairs(num_frames: int, noise: bool, difficulty: int):
    """(reference, other) frame index pairs of one video."""
    if noise:  # every frame against the clean frame 0
        return [(0, i) for i in range(1, num_frames)]
    pairs = []
    for start in range(difficulty):
        sub = list(range(start, num_frames, difficulty))
        pairs += list(zip(sub[:-1], sub[1:]))
    return pairs


def flip_probability(predictions: np.ndarray, noise: bool,
                     difficulty: int = 1) -> float:
    """Fraction of compared frame pairs whose top-1 differs, averaged over
    videos. ``predictions``: (videos, frames) top-1 classes."""
    predictions = np.asarray(predictions)
    rates = []
    for video in predictions:
        pairs = _compared_pairs(len(video), noise, difficulty)
        rates.append(np.mean([video[a] != video[b] for a, b in pairs]))
    return float(np.mean(rates))


def top5_distance_pair(reference: Sequence[int],
                       other: Sequence[int]) -> int:
    """d = sum_{i=1..5} |(i-1) - min(sigma(i)-1, 5)| for two full class
    rankings (most likely first); sigma maps the reference ranking onto
    the other's: sigma(i) is the rank, in ``other``, of the reference's
    i-th class."""
    position = {int(c): r for r, c in enumerate(other)}
    return int(sum(abs(i - min(position[int(reference[i])], 5))
                   for i in range(5)))


def top5_distance(rankings: np.ndarray, noise: bool,
                  difficulty: int = 1) -> float:
    """Mean top-5 distance over compared frame pairs, averaged over videos.
    ``rankings``: (videos, frames, classes) class indices by score."""
    dists = []
    for video in np.asarray(rankings):
        pairs = _compared_pairs(len(video), noise, difficulty)
        dists.append(np.mean([top5_distance_pair(video[a], video[b])
                              for a, b in pairs]))
    return float(np.mean(dists))
