"""iSQRT-COV: covariance pooling with a Newton-Schulz matrix square root.

The math follows Li et al. (CVPR 2018) and the reference code of the GCP
paper (README, "The iSQRT-COV op"). Each step is a
``torch.autograd.Function`` with a hand-written backward so that

* the covariance never builds the dense M x M centring matrix ``I_hat``;
* the first Newton-Schulz step, where ``Z = I``, costs one matmul forward
  and two backward instead of the three and four of a naive loop;
* adds and scalings are fused into in-place batched matmuls.

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
"""
from typing import Tuple

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


def _no_autocast(device: torch.device):
    return torch.autocast(device_type=device.type, enabled=False)


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
        with _no_autocast(x.device):
            grad_sym = grad_cov + grad_cov.transpose(1, 2)
            grad_sym.div_(x.shape[-1])
            # (G + G^T) Xc / M, with Xc = X - mean 1^T expanded lazily
            grad_x = torch.baddbmm(
                torch.bmm(grad_sym, mean).neg_(), grad_sym, x)
        return grad_x


class _SqrtmNewtonSchulz(torch.autograd.Function):
    """Trace-normalised coupled Newton-Schulz square root, REFERENCE.md s.1.

    With A = Sigma / tr(Sigma), Y_0 = A, Z_0 = I and for k < N
    ``T_k = (3I - Z_k Y_k) / 2, Y_{k+1} = Y_k T_k, Z_{k+1} = T_k Z_k``;
    the output is ``Y_N * sqrt(tr(Sigma))``. Backward is reverse-mode of
    exactly these matmuls (transposes kept, so it is the exact gradient of
    the computed map, also for non-symmetric inputs).
    """

    @staticmethod
    def forward(ctx, cov: Tensor, num_iters: int) -> Tensor:
        batch = cov.shape[0]
        trace = cov.diagonal(dim1=1, dim2=2).sum(dim=1)
        # Zero trace (constant features) -> sqrtm(0) = 0, see module doc.
        # NaN compares False and a negative trace gives sqrt(-s) = NaN, so
        # invalid input stays visible.
        degenerate = trace.abs() <= torch.finfo(cov.dtype).tiny
        trace = torch.where(degenerate, torch.ones_like(trace), trace)
        a = cov / trace.view(batch, 1, 1)

        ys, zs, ts = [a], [None], []
        y = z = None
        for k in range(num_iters):
            # T_k = (3I - Z_k Y_k) / 2; Z_0 Y_0 = A since Z_0 = I
            t = a.mul(-0.5) if k == 0 else torch.bmm(z, y).mul_(-0.5)
            t.diagonal(dim1=1, dim2=2).add_(1.5)
            ts.append(t)
            if k == 0:
                y, z = torch.bmm(a, t), t
            else:
                y = torch.bmm(y, t)
                if k < num_iters - 1:
                    z = torch.bmm(t, z)
            if k < num_iters - 1:
                ys.append(y)
                zs.append(z)

        sqrt_trace = trace.sqrt().masked_fill_(degenerate, 0.0)
        out = y.mul_(sqrt_trace.view(batch, 1, 1))
        ctx.num_iters = num_iters
        # Z_1 is T_0: not saved twice.
        ctx.save_for_backward(a, out, trace, sqrt_trace, degenerate,
                              *ys[1:], *zs[2:], *ts)
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        n = ctx.num_iters
        a, out, trace, sqrt_trace, degenerate, *rest = ctx.saved_tensors
        num_z = max(n - 2, 0)
        ys = [a, *rest[:n - 1]]
        ts = rest[n - 1 + num_z:]
        zs = [None, ts[0], *rest[n - 1:n - 1 + num_z]][:n]
        bcast = (a.shape[0], 1, 1)

        with _no_autocast(a.device):
            # out = Y_N(A) sqrt(s) with A = Sigma / s and s = tr(Sigma)
            grad_y = grad_out * sqrt_trace.view(bcast)
            grad_z = None  # Z_N is never formed
            for k in range(n - 1, 0, -1):
                # Y' = Y T, Z' = T Z, T = (3I - Z Y) / 2
                y, z, t = ys[k], zs[k], ts[k]
                grad_t = torch.bmm(y.transpose(1, 2), grad_y)
                if grad_z is None:
                    new_grad_z = torch.bmm(grad_t, y.transpose(1, 2))
                    new_grad_z.mul_(-0.5)
                else:
                    grad_t.baddbmm_(grad_z, z.transpose(1, 2))
                    new_grad_z = torch.bmm(t.transpose(1, 2), grad_z)
                    new_grad_z.baddbmm_(grad_t, y.transpose(1, 2), alpha=-0.5)
                new_grad_y = torch.bmm(grad_y, t.transpose(1, 2))
                new_grad_y.baddbmm_(z.transpose(1, 2), grad_t, alpha=-0.5)
                grad_y, grad_z = new_grad_y, new_grad_z
            # Y_1 = A T_0, Z_1 = T_0, T_0 = (3I - A) / 2
            grad_t = torch.bmm(a.transpose(1, 2), grad_y)
            if grad_z is not None:
                grad_t.add_(grad_z)
            grad_a = torch.bmm(grad_y, ts[0].transpose(1, 2))
            grad_a.add_(grad_t, alpha=-0.5)

            # Sigma enters through A = Sigma / s and sqrt(s), ds = tr(dSigma)
            coeff = ((grad_out * out).sum(dim=(1, 2)) / 2 -
                     (grad_a * a).sum(dim=(1, 2))) / trace
            grad_cov = grad_a.div_(trace.view(bcast))
            grad_cov.diagonal(dim1=1, dim2=2).add_(coeff.unsqueeze(1))
            grad_cov.masked_fill_(degenerate.view(bcast), 0.0)
        return grad_cov, None


_TRIU_INDEX_CACHE = {}


def _triu_flat_index(dim: int, device: torch.device) -> Tensor:
    key = (dim, device)
    if key not in _TRIU_INDEX_CACHE:
        rows, cols = torch.triu_indices(dim, dim, device=device)
        _TRIU_INDEX_CACHE[key] = rows * dim + cols
    return _TRIU_INDEX_CACHE[key]


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
    with _no_autocast(x.device):
        return _CovariancePool.apply(
            x.reshape(batch, channels, height * width))


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
    if cov.dim() != 3 or cov.shape[1] != cov.shape[2]:
        raise ValueError('sqrtm_newton_schulz expects square matrices of '
                         f'shape (B, C, C), got {tuple(cov.shape)}')
    if isinstance(num_iters, bool) or not isinstance(num_iters, int) \
            or num_iters < 1:
        raise ValueError(f'num_iters must be an int >= 1, got {num_iters!r}')
    cov = _matrix_dtype(cov)
    with _no_autocast(cov.device):
        return _SqrtmNewtonSchulz.apply(cov, num_iters)


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
