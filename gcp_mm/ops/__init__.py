from .isqrt_cov import (
                        covariance_pool,
                        isqrt_cov,
                        sqrtm_newton_schulz,
                        triu_vector,
)
from .normalization import (
                            NORMALIZATIONS,
                            check_normalization,
                            covariance_pooling,
                            normalize_covariance,
)
from .sqrtm_eig import sqrtm_eig
from .sqrtm_pade import sqrtm_pade

__all__ = [
    'covariance_pool', 'sqrtm_newton_schulz', 'triu_vector', 'isqrt_cov',
    'sqrtm_eig', 'sqrtm_pade', 'NORMALIZATIONS', 'check_normalization',
    'normalize_covariance', 'covariance_pooling'
]
