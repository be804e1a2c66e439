"""iSQRT-COV: covariance pooling with a Newton-Schulz matrix square root.

The math follows Li et al. (CVPR 2018) and the reference code of the GCP
paper (docs/op.md). Each step is a
``torch.autograd.Function`` with a hand-written backward so that

* the covariance never builds the dense M x M centring matrix ``I_hat``;
* Newton-Schulz takes 12 matmuls forward and 20 backward at N = 5 (a naive
  autograd loop: 14 and 26), see ``_SqrtmNewtonSchulz``;
* adds and scalings are fused into batched matmuls, and backward reuses
  its work buffers.

Numerical conventions, shared by every function here:

* Matrix functions always run in float32 or float64. Half / bfloat16 inputs
  (for instance under ``torch.autocast``) are promoted to float32 and the
  result is float32; autocast is disabled inside, forward and backward.
* A sample whose covariance trace is zero (a constant feature map, which
  includes ``M = H * W = 1``) has the square root of the zero matrix: the
  output is exactly zero and so is its gradient, instead of the 0/0 of the
  trace normalisation.
* Non-finite input is not repaired: NaN/Inf in a sample propagates to a
  non-finite output for that sample (and only that sample).
* Matmuls run at full float32 precision, forward and backward, also when
  the user allows TF32 / reduced precision with
  ``torch.set_float32_matmul_precision('high')``: the iterations amplify
  rounding. The user's setting is restored on exit.
* Nothing here keeps tensors between calls (no module-level caches), so a
  ``torch.export`` / ``torch.compile`` trace leaves no fake tensors behind,
  and there are no host syncs: every function traces as one graph
  (docs/op.md).
"""
import contextlib
from typing import Iterator, Tuple

import torch
from torch import Tensor

__all__ = [
    'covariance_pool', 'sqrtm_newton_schulz', 'triu_vector', 'isqrt_cov'
]


def _matrix_dtype(x: Tensor) -> Tensor:
    if not x.is_floating_point():
        raise TypeError(f'expected a floating point tensor, got {x.dtype}')
    if x.dtype in (torch.float32, torch.float64):
        return x
    return x.float()


@contextlib.contextmanager
def _full_float32_matmul() -> Iterator[None]:
    """'highest' float32 matmul precision inside, the caller's after.

    Eager only: torch.compile cannot trace the precision setting (reading
    it breaks the graph), so a compiled graph keeps the precision it was
    compiled under (docs/op.md)."""
    if torch.compiler.is_compiling():
        yield
        return
    previous = torch.get_float32_matmul_precision()
    if previous == 'highest':
        yield
        return
    torch.set_float32_matmul_precision('highest')
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


@contextlib.contextmanager
def matrix_function_context(device: torch.device) -> Iterator[None]:
    """Autocast off and full float32 matmuls, the module's conventions.
    Devices without autocast (``meta``) only get the precision pinned."""
    with _autocast_off(device.type), _full_float32_matmul():
        yield


def _autocast_off(device_type: str):
    """``torch.autocast(device_type, enabled=False)``, or nothing for a
    device without autocast."""
    available = getattr(torch.amp, 'is_autocast_available', None)
    if available is not None:
        if not available(device_type):
            return contextlib.nullcontext()
        return torch.autocast(device_type=device_type, enabled=False)
    try:  # torch < 2.4 has no is_autocast_available, and refuses instead
        return torch.autocast(device_type=device_type, enabled=False)
    except RuntimeError:
        return contextlib.nullcontext()


class _CovariancePool(torch.autograd.Function):
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


class _SqrtmNewtonSchulz(torch.autograd.Function):
    """Trace-normalised coupled Newton-Schulz square root
    (docs/reference.md section 1).

    With A = Sigma / tr(Sigma), Y_0 = A, Z_0 = I and for k < N
    ``T_k = (3I - Z_k Y_k) / 2, Y_{k+1} = Y_k T_k, Z_{k+1} = T_k Z_k``;
    the output is ``Y_N * sqrt(tr(Sigma))``.

    All of Y_k, Z_k, T_k are polynomials in A, so they commute, and the
    iteration is run in the equivalent form ``P_k = Z_k Y_k``:
    ``T_k = (3I - P_k) / 2, Y_{k+1} = Y_k T_k, P_{k+1} = P_k T_k^2`` (3N - 3
    matmuls, as the coupled form, but only P_k and Y_k need storing).

    Backward uses that the derivative of a matrix polynomial at a symmetric
    A is self-adjoint: the gradient is the forward-mode derivative of the
    same recursion in the direction of the (symmetrised) output gradient.
    Symmetric tangents turn products into ``S + S^T`` forms, 20 matmuls at
    N = 5 instead of 24 for reverse mode. The input is symmetrised,
    ``(Sigma + Sigma^T) / 2``, so this is the exact gradient of the map.
    """

    @staticmethod
    def forward(ctx, cov: Tensor, num_iters: int) -> Tensor:
        batch = cov.shape[0]
        bcast = (batch, 1, 1)
        trace = cov.diagonal(dim1=1, dim2=2).sum(dim=1)
        # Zero trace (constant features) -> sqrtm(0) = 0, see module doc.
        # NaN compares False and a negative trace gives sqrt(-s) = NaN, so
        # invalid input stays visible.
        degenerate = trace.abs() <= torch.finfo(cov.dtype).tiny
        trace = torch.where(degenerate, torch.ones_like(trace), trace)
        a = cov + cov.transpose(1, 2)
        a.mul_((0.5 / trace).view(bcast))

        ps, ys = [a], [a]
        p = y = a
        p_sq = torch.empty_like(a)
        for k in range(num_iters):
            last = k == num_iters - 1
            if k == 0 or not last:
                torch.bmm(p, p, out=p_sq)
            # Y_{k+1} = Y_k T_k = 1.5 Y_k - 0.5 Y_k P_k  (Y_0 P_0 = A^2)
            if k == 0:
                y = p_sq.mul(-0.5).add_(a, alpha=1.5)
            else:
                y = torch.baddbmm(y, y, p, beta=1.5, alpha=-0.5)
            if not last:
                # P_{k+1} = P T^2 = 2.25 P - 1.5 P^2 + 0.25 P^3
                p_next = torch.baddbmm(p, p_sq, p, beta=2.25, alpha=0.25)
                p_next.add_(p_sq, alpha=-1.5)
                p = p_next
                ps.append(p)
                ys.append(y)

        sqrt_trace = trace.sqrt().masked_fill_(degenerate, 0.0)
        out = y.mul_(sqrt_trace.view(bcast))
        ctx.num_iters = num_iters
        ctx.save_for_backward(out, trace, sqrt_trace, degenerate, *ps,
                              *ys[1:])
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        n = ctx.num_iters
        out, trace, sqrt_trace, degenerate, *rest = ctx.saved_tensors
        ps = rest[:n]  # P_0 = A .. P_{N-1}
        ys = [ps[0], *rest[n:]]  # Y_0 = A .. Y_{N-1}
        a = ps[0]
        bcast = (a.shape[0], 1, 1)

        with matrix_function_context(a.device):
            # out = Y_N(A) sqrt(s), A = sym(Sigma) / s, s = tr(Sigma)
            grad_sym = grad_out + grad_out.transpose(1, 2)
            grad_sym.mul_((0.5 * sqrt_trace).view(bcast))
            # Tangents dP_0 = dY_0 = E. Rounding adds antisymmetric parts
            # that the dP recursion would amplify (2.5x per step), so each
            # new dP is re-symmetrised; in dY they grow at most 1.5x per
            # step, shrinking to 1x as P_k -> I, and are left alone.
            d_p = d_y = grad_sym
            s_buf, work = torch.empty_like(a), torch.empty_like(a)
            free = []
            for k in range(n):
                p = ps[k]
                last = k == n - 1
                if k == 0 or not last:
                    torch.bmm(d_p, p, out=s_buf)  # S = dP P
                # dY_{k+1} = 1.5 dY - 0.5 (dY P + Y dP)
                new_d_y = free.pop() if free else torch.empty_like(a)
                if k == 0:  # Y_0 = P_0 = A: dY P + Y dP = S + S^T
                    torch.add(s_buf, s_buf.transpose(1, 2), out=new_d_y)
                    new_d_y.mul_(-0.5).add_(d_y, alpha=1.5)
                else:
                    torch.baddbmm(d_y, d_y, p, beta=1.5, alpha=-0.5,
                                  out=new_d_y)
                    new_d_y.baddbmm_(ys[k], d_p, alpha=-0.5)
                    free.append(d_y)
                if not last:
                    # dP_{k+1} = 2.25 dP - 1.5 d(P^2) + 0.25 d(P^3) with
                    # d(P^2) = S + S^T, d(P^3) = SP + (SP)^T + P S; as the
                    # result is symmetrised, S^T and (SP)^T fold into S, SP
                    target = free.pop() if free else torch.empty_like(a)
                    torch.baddbmm(d_p, p, s_buf, beta=2.25, alpha=0.25,
                                  out=target)
                    target.baddbmm_(s_buf, p, alpha=0.5)
                    target.add_(s_buf, alpha=-3.0)
                    new_d_p = _symmetrized(target, work)
                    work = target
                    if k > 0:
                        free.append(d_p)
                    d_p = new_d_p
                d_y = new_d_y
            grad_a = _symmetrized(d_y, work)

            # Sigma enters through A = sym(Sigma) / s and sqrt(s)
            coeff = ((grad_sym * out).sum(dim=(1, 2)) /
                     (2 * sqrt_trace.masked_fill(degenerate, 1.0)) -
                     (grad_a * a).sum(dim=(1, 2))) / trace
            grad_cov = grad_a.div_(trace.view(bcast))
            grad_cov.diagonal(dim1=1, dim2=2).add_(coeff.unsqueeze(1))
            grad_cov.masked_fill_(degenerate.view(bcast), 0.0)
        return grad_cov, None


def _symmetrized(src: Tensor, out: Tensor) -> Tensor:
    """(src + src^T) / 2 written to ``out``."""
    return torch.add(src, src.transpose(1, 2), out=out).mul_(0.5)


def _triu_flat_index(dim: int, device: torch.device) -> Tensor:
    """Flat row-major positions of the upper triangle, built afresh each
    call: a few microseconds, and a trace records it as constant-shaped
    ops instead of capturing (and leaking) a cached tensor."""
    rows, cols = torch.triu_indices(dim, dim, device=device)
    return rows * dim + cols


def covariance_pool(x: Tensor) -> Tensor:
    """Per-sample covariance of the spatial positions of a feature map.

    Args:
        x (Tensor): features of shape (B, C, H, W).

    Returns:
        Tensor: (B, C, C), ``Sigma = X I_hat X^T`` with
        ``I_hat = (I - 11^T / M) / M`` and ``M = H * W``, in float32 for
        half / bfloat16 input, else in the input dtype.
    """
    if x.dim() != 4:
        raise ValueError('covariance_pool expects features of shape '
                         f'(B, C, H, W), got {tuple(x.shape)}')
    x = _matrix_dtype(x)
    batch, channels, height, width = x.shape
    with matrix_function_context(x.device):
        return _CovariancePool.apply(
            x.reshape(batch, channels, height * width))


def check_num_iters(num_iters: int) -> None:
    """Newton-Schulz needs a whole number of iterations, at least one."""
    if isinstance(num_iters, bool) or not isinstance(num_iters, int) \
            or num_iters < 1:
        raise ValueError(f'num_iters must be an int >= 1, got {num_iters!r}')


def sqrtm_newton_schulz(cov: Tensor, num_iters: int = 5) -> Tensor:
    """Matrix square root of SPD matrices by the coupled Newton-Schulz
    iteration with trace pre-normalisation and post-compensation.

    Args:
        cov (Tensor): (B, C, C) symmetric positive semi-definite matrices.
        num_iters (int): N, the number of Newton-Schulz iterations (the
            reference uses 5). ``N = 1`` gives ``0.5 A (3I - A)``.

    Returns:
        Tensor: (B, C, C), approximately ``cov ** 0.5``. Zero-trace samples
        give zeros (and zero gradient); see the module docstring.
    """
    check_num_iters(num_iters)
    return apply_matrix_function('sqrtm_newton_schulz', _SqrtmNewtonSchulz,
                                 cov, num_iters)


def apply_matrix_function(name: str, function, cov: Tensor, *args) -> Tensor:
    """``function.apply(cov, *args)`` for (B, C, C) matrices, with the
    module's conventions: float32 or float64, autocast off."""
    if cov.dim() != 3 or cov.shape[1] != cov.shape[2]:
        raise ValueError(f'{name} expects square matrices of shape '
                         f'(B, C, C), got {tuple(cov.shape)}')
    cov = _matrix_dtype(cov)
    with matrix_function_context(cov.device):
        return function.apply(cov, *args)


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


def isqrt_cov(x: Tensor, num_iters: int = 5) -> Tensor:
    """iSQRT-COV pooling: covariance, Newton-Schulz square root, upper
    triangle.

    Args:
        x (Tensor): features of shape (B, C, H, W).
        num_iters (int): Newton-Schulz iterations. Defaults to 5.

    Returns:
        Tensor: (B, C * (C + 1) / 2), float32 for half / bfloat16 input.
    """
    return triu_vector(sqrtm_newton_schulz(covariance_pool(x), num_iters))
