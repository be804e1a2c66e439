from .covariance import covariance_matrix
from .normalization import (
                            NORMALIZATIONS,
                            check_normalization,
                            normalization_function,
                            normalize_covariance,
)
from .pooling import isqrt_cov, normalized_covariance_triu
from .sqrtm_eig import sqrtm_eig
from .sqrtm_newton_schulz import sqrtm_newton_schulz
from .sqrtm_pade import sqrtm_pade
from .triu import triu_vector

__all__ = [
    'covariance_matrix', 'triu_vector', 'sqrtm_newton_schulz', 'sqrtm_eig',
    'sqrtm_pade', 'NORMALIZATIONS', 'check_normalization',
    'normalization_function', 'normalize_covariance',
    'normalized_covariance_triu', 'isqrt_cov'
]
