from .isqrt_cov import (
                        covariance_pool,
                        isqrt_cov,
                        sqrtm_newton_schulz,
                        triu_vector,
)

__all__ = [
    'covariance_pool', 'sqrtm_newton_schulz', 'triu_vector', 'isqrt_cov'
]
