"""One entry point for every normalisation of the covariance.

``normalize_covariance(cov, method)`` picks the matrix function by name,
``covariance_pooling(x, method)`` is covariance -> normalisation -> upper
triangle. The formulas and sources: docs/normalisations.md.
"""
from torch import Tensor

from .isqrt_cov import (
    _matrix_dtype,
    check_num_iters,
    covariance_pool,
    sqrtm_newton_schulz,
    triu_vector,
)
from .sqrtm_eig import sqrtm_eig
from .sqrtm_pade import check_lyapunov_iters, sqrtm_pade

__all__ = [
    'NORMALIZATIONS', 'check_normalization', 'normalize_covariance',
    'covariance_pooling'
]

#: 'newton_schulz': iSQRT-COV; 'eig': MPN-COV, the exact root; 'pade':
#: MPA-Lya; 'none': the covariance itself.
NORMALIZATIONS = ('newton_schulz', 'eig', 'pade', 'none')


def check_normalization(method: str) -> None:
    """A ValueError naming the valid methods, for an unknown one."""
    if method not in NORMALIZATIONS:
        raise ValueError(
            f'unknown normalization {method!r}; valid ones: '
            + ', '.join(repr(name) for name in NORMALIZATIONS))


def normalize_covariance(cov: Tensor,
                         method: str = 'newton_schulz',
                         num_iters: int = 5,
                         lyapunov_iters: int = 8) -> Tensor:
    """Normalise (B, C, C) covariances by ``method``.

    Args:
        cov (Tensor): (B, C, C) symmetric positive semi-definite matrices.
        method (str): one of ``NORMALIZATIONS``.
        num_iters (int): Newton-Schulz iterations (``'newton_schulz'``
            only).
        lyapunov_iters (int): steps of the backward's Lyapunov iteration
            (``'pade'`` only).

    Returns:
        Tensor: (B, C, C), float32 for half / bfloat16 input.
    """
    check_normalization(method)
    if method == 'newton_schulz':
        return sqrtm_newton_schulz(cov, num_iters)
    if method == 'eig':
        return sqrtm_eig(cov)
    if method == 'pade':
        return sqrtm_pade(cov, lyapunov_iters)
    if cov.dim() != 3 or cov.shape[1] != cov.shape[2]:
        raise ValueError('normalize_covariance expects square matrices of '
                         f'shape (B, C, C), got {tuple(cov.shape)}')
    return _matrix_dtype(cov)


def covariance_pooling(x: Tensor,
                       method: str = 'newton_schulz',
                       num_iters: int = 5,
                       lyapunov_iters: int = 8) -> Tensor:
    """Covariance of the positions, ``method``, upper triangle.

    Args:
        x (Tensor): features of shape (B, C, H, W).
        method, num_iters, lyapunov_iters: see ``normalize_covariance``.

    Returns:
        Tensor: (B, C * (C + 1) / 2), float32 for half / bfloat16 input.
    """
    check_normalization(method)
    check_num_iters(num_iters)
    check_lyapunov_iters(lyapunov_iters)
    return triu_vector(
        normalize_covariance(covariance_pool(x), method, num_iters,
                             lyapunov_iters))
