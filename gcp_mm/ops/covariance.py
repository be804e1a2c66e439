"""The per-sample covariance of a feature map's positions, the first step
of every covariance pooling (docs/reference.md section 1)."""
from typing import Tuple

import torch
from torch import Tensor

from .matrix_function import matrix_dtype, matrix_function_context

__all__ = ['covariance_matrix']


class _Covariance(torch.autograd.Function):
    """Sigma = Xc Xc^T / M with Xc the per-channel centred features.

    Identical to ``X I_hat X^T`` with ``I_hat = (I - 11^T / M) / M``. Only
    the input and the channel means are kept for backward.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        num_positions = x.shape[-1]
        mean = x.mean(dim=-1, keepdim=True)
        centred = x - mean
        cov = torch.bmm(centred, centred.transpose(1, 2))
        cov.div_(num_positions)
        ctx.save_for_backward(x, mean)
        return cov

    @staticmethod
    def backward(ctx, grad_cov: Tensor) -> Tuple[Tensor]:
        x, mean = ctx.saved_tensors
        with matrix_function_context(x.device):
            grad_sym = grad_cov + grad_cov.transpose(1, 2)
            grad_sym.div_(x.shape[-1])
            # (G + G^T) Xc / M, with Xc = X - mean 1^T expanded lazily
            grad_x = torch.baddbmm(
                torch.bmm(grad_sym, mean).neg_(), grad_sym, x)
        return grad_x


def covariance_matrix(x: Tensor) -> Tensor:
    """Per-sample covariance matrix of the spatial positions of a feature
    map.

    Args:
        x (Tensor): features of shape (B, C, H, W).

    Returns:
        Tensor: (B, C, C), ``Sigma = X I_hat X^T`` with
        ``I_hat = (I - 11^T / M) / M`` and ``M = H * W``, in float32 for
        half / bfloat16 input, else in the input dtype.
    """
    if x.dim() != 4:
        raise ValueError('covariance_matrix expects features of shape '
                         f'(B, C, H, W), got {tuple(x.shape)}')
    x = matrix_dtype(x)
    batch, channels, height, width = x.shape
    with matrix_function_context(x.device):
        return _Covariance.apply(x.reshape(batch, channels, height * width))
