"""The normalisation switch: one name chooses the matrix function applied
to the covariance.

``normalization_function(method, ...)`` checks its arguments and returns
the chosen function as a callable, once (a neck calls it when it is
built); ``normalize_covariance(cov, method)`` is the one-off call. The
formulas and sources: docs/normalisations.md.
"""
from typing import Callable

from torch import Tensor

from .matrix_function import MatrixFunction
from .sqrtm_eig import eig_root
from .sqrtm_newton_schulz import check_num_iters, newton_schulz_root
from .sqrtm_pade import check_lyapunov_iters, pade_root

__all__ = [
    'NORMALIZATIONS', 'check_normalization', 'normalization_function',
    'normalize_covariance'
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


def normalization_function(method: str = 'newton_schulz',
                           num_iters: int = 5,
                           lyapunov_iters: int = 8
                           ) -> Callable[[Tensor], Tensor]:
    """The normalisation ``method`` as a callable (B, C, C) -> (B, C, C),
    every argument checked here, once.

    Args:
        method (str): one of ``NORMALIZATIONS``.
        num_iters (int): Newton-Schulz iterations (``'newton_schulz'``
            only).
        lyapunov_iters (int): steps of the backward's Lyapunov iteration
            (``'pade'`` only).

    Returns:
        callable: float32 output for half / bfloat16 input, as every
        matrix function here (``gcp_mm.ops.matrix_function``).
    """
    check_normalization(method)
    check_num_iters(num_iters)
    check_lyapunov_iters(lyapunov_iters)
    if method == 'newton_schulz':
        return newton_schulz_root(num_iters)
    if method == 'eig':
        return eig_root()
    if method == 'pade':
        return pade_root(lyapunov_iters)
    return MatrixFunction('normalize_covariance')  # 'none': the identity


def normalize_covariance(cov: Tensor,
                         method: str = 'newton_schulz',
                         num_iters: int = 5,
                         lyapunov_iters: int = 8) -> Tensor:
    """Normalise (B, C, C) covariances by ``method``.

    Args:
        cov (Tensor): (B, C, C) symmetric positive semi-definite matrices.
        method, num_iters, lyapunov_iters: see ``normalization_function``.

    Returns:
        Tensor: (B, C, C), float32 for half / bfloat16 input.
    """
    return normalization_function(method, num_iters, lyapunov_iters)(cov)
