"""MPN-COV: the exact matrix square root by eigendecomposition.

Li et al. (ICCV 2017); the formulas are in docs/normalisations.md. The
numerical conventions are those of ``gcp_mm.ops.matrix_function``
(float32/64 only, autocast disabled inside, zero matrices give zero output
and zero gradient, non-finite samples stay non-finite and alone).

Where ``torch.linalg.eigh`` does not converge on a float32 batch (it
raises for the whole batch, on CUDA and on the CPU alike), the batch is
decomposed again in float64, with a warning; a batch that fails in float64
too ends with :class:`EigenDecompositionError`
(docs/normalisations.md).
"""
import warnings
from typing import Tuple

import torch
from torch import Tensor

from .matrix_function import (
    MatrixFunction,
    mark_samples,
    matrix_function_context,
    split_samples,
)

__all__ = ['EigenDecompositionError', 'sqrtm_eig', 'eig_root']


class EigenDecompositionError(RuntimeError):
    """torch.linalg.eigh failed on a batch, in float64 too."""


def _eigh(sym: Tensor) -> Tuple[Tensor, Tensor]:
    """torch.linalg.eigh with the float64 retry of the module docstring."""
    try:
        return torch.linalg.eigh(sym)
    except torch.linalg.LinAlgError as err:
        first = str(err).strip().splitlines()[0]
    shape = 'x'.join(map(str, sym.shape))
    if sym.dtype != torch.float64:
        warnings.warn(
            f'sqrtm_eig: torch.linalg.eigh did not converge on a {shape} '
            f'{sym.dtype} batch ({first}); decomposing it in float64')
        try:
            eigvals, eigvecs = torch.linalg.eigh(sym.double())
            return eigvals.to(sym.dtype), eigvecs.to(sym.dtype)
        except torch.linalg.LinAlgError as err:
            first = str(err).strip().splitlines()[0]
    raise EigenDecompositionError(
        f'sqrtm_eig: torch.linalg.eigh did not converge on a {shape} batch '
        f'of covariances, even in float64 ({first}); '
        "normalization='newton_schulz' needs no eigendecomposition")


class _SqrtmEig(torch.autograd.Function):
    """U diag(sqrt(max(l, floor))) U^T with the Loewner-form backward.

    For the power 1/2 the Loewner quotient (s_i - s_j) / (l_i - l_j) is
    exactly 1 / (s_i + s_j), with no subtraction, so repeated and close
    eigenvalues need no special case; the floor bounds it at zero ones.
    """

    @staticmethod
    def forward(ctx, cov: Tensor) -> Tensor:
        sym = (cov + cov.transpose(1, 2)).mul_(0.5)
        safe, zero, bad = split_samples(sym)
        eigvals, eigvecs = _eigh(safe)
        # The eigenvalues' own rounding error: below it a "zero" eigenvalue
        # is noise of either sign.
        floor = eigvals[:, -1:].clamp(min=0).mul(
            torch.finfo(sym.dtype).eps).clamp(min=torch.finfo(sym.dtype).tiny)
        roots = torch.maximum(eigvals, floor).sqrt_()
        out = torch.bmm(eigvecs * roots.unsqueeze(1),
                        eigvecs.transpose(1, 2))
        ctx.save_for_backward(eigvecs, roots, zero, bad)
        return mark_samples(out, zero, bad)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        eigvecs, roots, zero, bad = ctx.saved_tensors
        with matrix_function_context(grad_out.device):
            grad_sym = (grad_out + grad_out.transpose(1, 2)).mul_(0.5)
            inner = torch.bmm(torch.bmm(eigvecs.transpose(1, 2), grad_sym),
                              eigvecs)
            inner.div_(roots.unsqueeze(2) + roots.unsqueeze(1))
            grad_cov = torch.bmm(torch.bmm(eigvecs, inner),
                                 eigvecs.transpose(1, 2))
        return mark_samples(grad_cov, zero, bad)


def sqrtm_eig(cov: Tensor) -> Tensor:
    """Exact square root of symmetric PSD matrices (MPN-COV).

    Args:
        cov (Tensor): (B, C, C) symmetric positive semi-definite matrices
            (only the symmetric part is used).

    Returns:
        Tensor: (B, C, C), ``cov ** 0.5`` with eigenvalues below
        ``eps * max eigenvalue`` raised to that floor; float32 for
        half / bfloat16 input. Zero-trace samples give zeros (and zero
        gradient); see ``gcp_mm.ops.matrix_function``.
    """
    return eig_root()(cov)


def eig_root() -> MatrixFunction:
    """``sqrtm_eig`` as a callable (B, C, C) -> (B, C, C)."""
    return MatrixFunction('sqrtm_eig', _SqrtmEig)
