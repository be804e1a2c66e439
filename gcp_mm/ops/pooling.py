"""Covariance pooling as one function: covariance of the positions,
normalisation, upper triangle (docs/normalisations.md)."""
from torch import Tensor

from .covariance import covariance_matrix
from .normalization import normalization_function
from .triu import triu_vector

__all__ = ['normalized_covariance_triu', 'isqrt_cov']


def normalized_covariance_triu(x: Tensor,
                               method: str = 'newton_schulz',
                               num_iters: int = 5,
                               lyapunov_iters: int = 8) -> Tensor:
    """Covariance of the positions, normalised by ``method``, vectorised
    by its upper triangle.

    Args:
        x (Tensor): features of shape (B, C, H, W).
        method, num_iters, lyapunov_iters: see
            ``gcp_mm.ops.normalization_function``.

    Returns:
        Tensor: (B, C * (C + 1) / 2), float32 for half / bfloat16 input.
    """
    normalize = normalization_function(method, num_iters, lyapunov_iters)
    return triu_vector(normalize(covariance_matrix(x)))


def isqrt_cov(x: Tensor, num_iters: int = 5) -> Tensor:
    """iSQRT-COV pooling (Li et al., CVPR 2018): covariance, Newton-Schulz
    square root, upper triangle; ``normalized_covariance_triu(x,
    'newton_schulz', num_iters)``.

    Args:
        x (Tensor): features of shape (B, C, H, W).
        num_iters (int): Newton-Schulz iterations. Defaults to 5.

    Returns:
        Tensor: (B, C * (C + 1) / 2), float32 for half / bfloat16 input.
    """
    return normalized_covariance_triu(x, 'newton_schulz', num_iters)
