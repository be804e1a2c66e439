"""ImageNet-C / ImageNet-P robustness evaluation (docs/robustness.md).

Modules: ``metrics`` (the protocol's names, AlexNet errors, CE / mCE, flip
probability, top-5 distance), ``data`` and ``perturbations`` (images and
sequences generated from any folder), ``evaluate`` (loading and running a
classifier), ``imagenet_c`` and ``imagenet_p`` (the two evaluations, the
latter with the baseline normalisation); tools/robustness.py is the
command line.
"""
from .metrics import (
                      ALEXNET_CLEAN_ERROR,
                      ALEXNET_ERRORS,
                      BENCHMARK_CORRUPTIONS,
                      DIFFICULTIES,
                      SEVERITIES,
                      TEST_PERTURBATIONS,
                      corruption_error,
                      flip_probability,
                      imagenet_c_summary,
                      is_noise,
                      relative_corruption_error,
                      top5_distance,
)

__all__ = [
    'ALEXNET_CLEAN_ERROR', 'ALEXNET_ERRORS', 'BENCHMARK_CORRUPTIONS',
    'DIFFICULTIES', 'SEVERITIES', 'TEST_PERTURBATIONS', 'corruption_error',
    'relative_corruption_error', 'imagenet_c_summary', 'flip_probability',
    'is_noise', 'top5_distance'
]
