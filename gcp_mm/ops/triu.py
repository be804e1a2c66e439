"""The vector a covariance pooling outputs: a symmetric matrix's upper
triangle, diagonal included."""
import torch
from torch import Tensor

__all__ = ['triu_vector']


def _triu_flat_index(dim: int, device: torch.device) -> Tensor:
    """Flat row-major positions of the upper triangle, built afresh each
    call: a few microseconds, and a trace records it as constant-shaped
    ops instead of capturing (and leaking) a cached tensor."""
    rows, cols = torch.triu_indices(dim, dim, device=device)
    return rows * dim + cols


def triu_vector(mat: Tensor) -> Tensor:
    """Row-major upper triangle, diagonal included.

    Args:
        mat (Tensor): (B, C, C).

    Returns:
        Tensor: (B, C * (C + 1) / 2).
    """
    if mat.dim() != 3 or mat.shape[1] != mat.shape[2]:
        raise ValueError('triu_vector expects square matrices of shape '
                         f'(B, C, C), got {tuple(mat.shape)}')
    dim = mat.shape[1]
    return mat.reshape(mat.shape[0], dim * dim).index_select(
        1, _triu_flat_index(dim, mat.device))
