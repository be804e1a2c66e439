"""MPA-Lya: a [5/5] Padé square root with a Lyapunov-iteration backward.

Song, Sebe, Wang, "Fast Differentiable Matrix Square Root" (ICLR 2022);
the formulas are in docs/normalisations.md. The numerical conventions are
those of ``gcp_mm.ops.matrix_function`` (float32/64 only, autocast disabled
inside, zero matrices give zero output and zero gradient, non-finite
samples stay non-finite and alone). A sample whose Cholesky factorisation
fails is NaN too, without a host sync (docs/op.md).
"""
from fractions import Fraction
from typing import List, Tuple

import torch
from torch import Tensor

from .matrix_function import (
    MatrixFunction,
    mark_samples,
    matrix_function_context,
    split_samples,
)

__all__ = [
    'sqrtm_pade', 'pade_root', 'pade_coefficients', 'check_lyapunov_iters'
]

PADE_DEGREE = 5


def pade_coefficients(degree: int = PADE_DEGREE
                      ) -> Tuple[List[Fraction], List[Fraction]]:
    """``(p, q)``, the [degree/degree] Padé approximant of sqrt(1 - z),
    q[0] = 1, solved exactly from the Taylor series (docs/normalisations.md).
    """
    taylor = [Fraction(1)]
    for k in range(1, 2 * degree + 1):  # c_k = c_{k-1} (k - 3/2) / k
        taylor.append(taylor[-1] * (k - Fraction(3, 2)) / k)
    # sum_{j=1..n} q_j c_{k-j} = -c_k for k = n+1 .. 2n
    rows = [[taylor[k - j] for j in range(1, degree + 1)] + [-taylor[k]]
            for k in range(degree + 1, 2 * degree + 1)]
    for col in range(degree):  # Gauss-Jordan in exact arithmetic
        pivot = next(r for r in range(col, degree) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(degree):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    q = [Fraction(1)] + [rows[j][-1] for j in range(degree)]
    p = [sum(q[j] * taylor[k - j] for j in range(k + 1))
         for k in range(degree + 1)]
    return p, q


_P, _Q = pade_coefficients()


def check_lyapunov_iters(lyapunov_iters: int) -> None:
    if isinstance(lyapunov_iters, bool) or \
            not isinstance(lyapunov_iters, int) or lyapunov_iters < 1:
        raise ValueError('lyapunov_iters must be an int >= 1, got '
                         f'{lyapunov_iters!r}')


class _SqrtmPade(torch.autograd.Function):
    """sqrt(A) ~ Q(I - A)^{-1} P(I - A), A = sym(Sigma) / ||Sigma||_F,
    times sqrt(||Sigma||_F); backward by the coupled Lyapunov iteration,
    including the path through the norm."""

    @staticmethod
    def forward(ctx, cov: Tensor, lyapunov_iters: int) -> Tensor:
        sym = (cov + cov.transpose(1, 2)).mul_(0.5)
        safe, zero, bad = split_samples(sym)
        norm = torch.linalg.matrix_norm(safe)  # Frobenius
        bcast = (-1, 1, 1)
        a = safe / norm.view(bcast)
        eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
        z = eye - a
        # Both polynomials from the same powers Z^1..Z^5 (4 matmuls)
        p_mat = eye * float(_P[0]) + z * float(_P[1])
        q_mat = eye * float(_Q[0]) + z * float(_Q[1])
        power = z
        for k in range(2, PADE_DEGREE + 1):
            power = torch.bmm(power, z)
            p_mat.add_(power, alpha=float(_P[k]))
            q_mat.add_(power, alpha=float(_Q[k]))
        # Q is symmetric positive definite (its eigenvalues q(z), z in
        # [0, 1], lie in [0.0107, 1]), so a Cholesky solve serves: cheaper
        # than LU, and MKL's batched LU fails once torch's thread count has
        # been changed in the process ("Pivots given to lu_solve").
        # A failed factorisation (info != 0) needs a non-finite Q, which
        # split_samples already keeps out: such a sample is marked NaN
        # rather than branched on, since a branch would sync with the host
        # and break torch.compile / torch.export graphs.
        chol, info = torch.linalg.cholesky_ex(q_mat)
        bad = bad | (info != 0)
        root_a = torch.cholesky_solve(p_mat, chol)
        # Q^{-1} P is symmetric in exact arithmetic (P, Q commute); the
        # solve's rounding is not, and the backward relies on symmetry.
        root_a = (root_a + root_a.transpose(1, 2)).mul_(0.5)
        sqrt_norm = norm.sqrt()
        out = root_a * sqrt_norm.view(bcast)
        ctx.lyapunov_iters = lyapunov_iters
        ctx.save_for_backward(a, root_a, norm, sqrt_norm, zero, bad)
        return mark_samples(out, zero, bad)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        a, root_a, norm, sqrt_norm, zero, bad = ctx.saved_tensors
        bcast = (-1, 1, 1)
        with matrix_function_context(grad_out.device):
            grad_sym = (grad_out + grad_out.transpose(1, 2)).mul_(0.5)
            # X solving S X + X S = sqrt(n) sym(G): the sign iteration of
            # [[S, C], [0, -S]] converges to [[I, 2X], [0, -I]].
            # B_k and C_k stay symmetric (B, C symmetric), so C B^2 is
            # (B^2 C)^T: 5 products per step instead of 6.
            b = root_a
            c = grad_sym * sqrt_norm.view(bcast)
            for _ in range(ctx.lyapunov_iters):
                b_sq = torch.bmm(b, b)
                b_sq_c = torch.bmm(b_sq, c)
                # C_{k+1} = (3C - C B^2 - B^2 C + B C B) / 2
                c_next = torch.bmm(torch.bmm(b, c), b)
                c_next.sub_(b_sq_c).sub_(b_sq_c.transpose(1, 2))
                c = c_next.add_(c, alpha=3.0).mul_(0.5)
                # B_{k+1} = B (3I - B^2) / 2
                b = torch.baddbmm(b, b, b_sq, beta=1.5, alpha=-0.5)
            grad_a = (c + c.transpose(1, 2)).mul_(0.25)  # X, symmetrised
            # out = S(A) sqrt(n), A = sym(Sigma) / n, dn = <A, dSigma>
            coeff = ((grad_sym * root_a).sum(dim=(1, 2)) * 0.5 / sqrt_norm
                     - (grad_a * a).sum(dim=(1, 2)) / norm)
            grad_cov = grad_a.div_(norm.view(bcast)).add_(
                a * coeff.view(bcast))
        return mark_samples(grad_cov, zero, bad), None


def sqrtm_pade(cov: Tensor, lyapunov_iters: int = 8) -> Tensor:
    """Matrix square root of SPD matrices by MPA-Lya.

    Args:
        cov (Tensor): (B, C, C) symmetric positive semi-definite matrices
            (only the symmetric part is used).
        lyapunov_iters (int): steps of the coupled iteration that solves the
            backward's Lyapunov equation (8 in the paper).

    Returns:
        Tensor: (B, C, C), approximately ``cov ** 0.5``; float32 for half /
        bfloat16 input. Zero-trace samples give zeros (and zero gradient);
        see ``gcp_mm.ops.matrix_function``.
    """
    return pade_root(lyapunov_iters)(cov)


def pade_root(lyapunov_iters: int = 8) -> MatrixFunction:
    """``sqrtm_pade`` with ``lyapunov_iters`` checked once and fixed: a
    callable (B, C, C) -> (B, C, C)."""
    check_lyapunov_iters(lyapunov_iters)
    return MatrixFunction('sqrtm_pade', _SqrtmPade, lyapunov_iters)
