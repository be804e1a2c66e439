"""ImageNet-C / ImageNet-P robustness evaluation (ROBUSTNESS.md)."""
from .metrics import (
                      ALEXNET_CLEAN_ERROR,
                      ALEXNET_ERRORS,
                      BENCHMARK_CORRUPTIONS,
                      TEST_PERTURBATIONS,
                      corruption_error,
                      flip_probability,
                      imagenet_c_summary,
                      relative_corruption_error,
                      top5_distance,
)

__all__ = [
    'ALEXNET_CLEAN_ERROR', 'ALEXNET_ERRORS', 'BENCHMARK_CORRUPTIONS',
    'TEST_PERTURBATIONS', 'corruption_error', 'relative_corruption_error',
    'imagenet_c_summary', 'flip_probability', 'top5_distance'
]
