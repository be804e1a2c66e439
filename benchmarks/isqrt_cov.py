"""Forward+backward time and peak memory of gcp_mm's iSQRT-COV.

Compared with two independent implementations of the same math:

* ``plain``: a straightforward autograd implementation (what one writes
  first: centring, matmuls in a loop that starts from Z = I);
* ``reference``: the structure of the paper's released code (docs/reference.md
  section 1): hand-written autograd Functions, a dense B x M x M I_hat, every
  Y_k / Z_k stored, and a Python loop over the batch in backward.

    .venv/bin/python benchmarks/isqrt_cov.py            # full table
    .venv/bin/python benchmarks/isqrt_cov.py --quick    # the headline shape

Times are medians, the implementations taking turns; peak memory is that
of one forward+backward in a fresh subprocess per (implementation, shape)
(``benchmarks/harness.py`` says how each is measured). Numbers are
reported, never asserted.
"""
import argparse
import json
import sys
from os import path as osp

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from benchmarks.harness import (  # noqa: E402
    in_fresh_process,
    median_seconds_in_turns,
    peak_bytes,
)
from gcp_mm.ops import isqrt_cov  # noqa: E402
from gcp_mm.testing import plain_isqrt_cov  # noqa: E402

# ------------------------------------------------------------ reference


class _RefCovpool(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x):
        batch, channels, height, width = x.shape
        m = height * width
        feats = x.reshape(batch, channels, m)
        i_hat = (-1.0 / m / m) * torch.ones(m, m, dtype=x.dtype,
                                            device=x.device) + \
            (1.0 / m) * torch.eye(m, dtype=x.dtype, device=x.device)
        i_hat = i_hat.view(1, m, m).repeat(batch, 1, 1)
        cov = feats.bmm(i_hat).bmm(feats.transpose(1, 2))
        ctx.save_for_backward(x, i_hat)
        return cov

    @staticmethod
    def backward(ctx, grad):
        x, i_hat = ctx.saved_tensors
        batch, channels, height, width = x.shape
        feats = x.reshape(batch, channels, height * width)
        grad = grad + grad.transpose(1, 2)
        grad_x = grad.bmm(feats).bmm(i_hat)
        return grad_x.reshape(batch, channels, height, width)


class _RefSqrtm(torch.autograd.Function):

    @staticmethod
    def forward(ctx, cov, n):
        batch, dim, _ = cov.shape
        eye3 = 3.0 * torch.eye(dim, dtype=cov.dtype, device=cov.device).view(
            1, dim, dim).repeat(batch, 1, 1)
        trace = cov.mul(eye3 / 3.0).sum(dim=1).sum(dim=1)
        a = cov.div(trace.view(batch, 1, 1).expand_as(cov))
        ys = torch.zeros(batch, n, dim, dim, dtype=cov.dtype,
                         device=cov.device)
        zs = torch.eye(dim, dtype=cov.dtype, device=cov.device).view(
            1, 1, dim, dim).repeat(batch, n, 1, 1)
        ys[:, 0] = a
        for k in range(n - 1):
            t = 0.5 * (eye3 - zs[:, k].bmm(ys[:, k]))
            ys[:, k + 1] = ys[:, k].bmm(t)
            zs[:, k + 1] = t.bmm(zs[:, k])
        y = 0.5 * ys[:, n - 1].bmm(eye3 - zs[:, n - 1].bmm(ys[:, n - 1]))
        out = y * torch.sqrt(trace).view(batch, 1, 1).expand_as(cov)
        ctx.save_for_backward(a, ys, zs, trace, out)
        ctx.n = n
        return out

    @staticmethod
    def backward(ctx, grad):
        # The backward equations of the iSQRT-COV paper (Li et al. 2018),
        # written as the reference evaluates them: products recomputed
        # per step, three-factor terms, dense 3I.
        a, ys, zs, trace, out = ctx.saved_tensors
        n = ctx.n
        batch, dim, _ = a.shape
        eye3 = 3.0 * torch.eye(dim, dtype=a.dtype, device=a.device).view(
            1, dim, dim).repeat(batch, 1, 1)
        grad_y = grad * torch.sqrt(trace).view(batch, 1, 1)
        if n == 1:
            grad_a = 0.5 * (grad_y.bmm(eye3 - a) - a.bmm(grad_y))
        else:
            y, z = ys[:, n - 1], zs[:, n - 1]
            grad_z = -0.5 * y.bmm(grad_y).bmm(y)
            grad_y = 0.5 * (grad_y.bmm(eye3 - y.bmm(z)) -
                            z.bmm(y).bmm(grad_y))
            for k in range(n - 2, 0, -1):
                y, z = ys[:, k], zs[:, k]
                yz = eye3 - y.bmm(z)
                zy = z.bmm(y)
                grad_y, grad_z = (
                    0.5 * (grad_y.bmm(yz) - z.bmm(grad_z).bmm(z) -
                           zy.bmm(grad_y)),
                    0.5 * (yz.bmm(grad_z) - y.bmm(grad_y).bmm(y) -
                           grad_z.bmm(zy)))
            grad_a = 0.5 * (grad_y.bmm(eye3 - a) - grad_z - a.bmm(grad_y))
        grad_cov = grad_a / trace.view(batch, 1, 1)
        eye = torch.eye(dim, dtype=a.dtype, device=a.device)
        for i in range(batch):  # the reference loops over the batch here
            coeff = (grad[i] * out[i]).sum() / (2 * trace[i]) - (
                grad_a[i] * a[i]).sum() / trace[i]
            grad_cov[i] += coeff * eye
        return grad_cov, None


def reference_isqrt_cov(x, num_iters=5):
    """The reference code's structure (timing and memory only)."""
    cov = _RefCovpool.apply(x)
    y = _RefSqrtm.apply(cov, num_iters)
    rows, cols = torch.triu_indices(x.shape[1], x.shape[1], device=x.device)
    return y[:, rows, cols]


IMPLEMENTATIONS = {
    'gcp_mm': isqrt_cov,
    'plain': plain_isqrt_cov,
    'reference': reference_isqrt_cov,
}


def _make_input(batch, channels, side, dtype, device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, side, side, generator=gen, dtype=dtype)
    return x.to(device).requires_grad_()


def _step(impl, x, grad):
    out = IMPLEMENTATIONS[impl](x)
    out.backward(grad)


def time_fwd_bwd(batch, channels, side, dtype, device, repeats):
    """Median seconds of one forward+backward for every implementation."""
    x = _make_input(batch, channels, side, dtype, device)
    grad = torch.ones(batch, channels * (channels + 1) // 2, dtype=dtype,
                      device=device)

    def step(impl):
        x.grad = None
        _step(impl, x, grad)

    return median_seconds_in_turns(
        {impl: lambda impl=impl: step(impl) for impl in IMPLEMENTATIONS},
        repeats, device)


def _peak_memory_child(impl, batch, channels, side, dtype, device):
    x = _make_input(batch, channels, side, dtype, device)
    grad = torch.ones(batch, channels * (channels + 1) // 2, dtype=dtype,
                      device=device)
    return peak_bytes(
        lambda: _step(impl, x, grad), device,
        warm_up=lambda: _step(impl, _make_input(2, 4, 2, dtype, device),
                              torch.ones(2, 10, dtype=dtype,
                                         device=device)))


def peak_memory(impl, batch, channels, side, dtype, device):
    """Peak bytes of one forward+backward, measured in a fresh process."""
    return in_fresh_process(__file__, [impl, batch, channels, side,
                                       str(dtype).split('.')[1],
                                       str(device)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='only the headline shape B=32, C=256, 14x14')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        impl, batch, channels, side, dtype, device = json.loads(args.child)
        print(_peak_memory_child(impl, batch, channels, side,
                                 getattr(torch, dtype), torch.device(device)))
        return

    device = torch.device(args.device)
    if args.quick:
        cases = [(256, 14, torch.float32)]
    else:
        cases = [(c, side, dtype) for dtype in (torch.float32, torch.float64)
                 for c in (64, 128, 256) for side in (7, 14, 28)]
    print(f'iSQRT-COV forward+backward, batch {args.batch}, N=5, '
          f'{device}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads')
    header = (f"{'dtype':8} {'C':>4} {'M':>4} | "
              + ' | '.join(f'{name:>9} ms {"MiB":>7}'
                           for name in IMPLEMENTATIONS)
              + ' | plain/ours time  ref/ours time  plain/ours mem'
              + '  ref/ours mem')
    print(header)
    print('-' * len(header))
    for channels, side, dtype in cases:
        row, stats = [], {}
        seconds = time_fwd_bwd(args.batch, channels, side, dtype, device,
                               args.repeats)
        for impl, secs in seconds.items():
            mem = peak_memory(impl, args.batch, channels, side, dtype,
                              device)
            stats[impl] = (secs, mem)
            row.append(f'{secs * 1e3:12.1f} {mem / 2**20:7.1f}')
        ours_t, ours_m = stats['gcp_mm']
        ratios = (f"{stats['plain'][0] / ours_t:15.2f}x"
                  f"{stats['reference'][0] / ours_t:14.2f}x"
                  f"{stats['plain'][1] / ours_m:15.2f}x"
                  f"{stats['reference'][1] / ours_m:13.2f}x")
        print(f'{str(dtype)[6:]:8} {channels:4d} {side * side:4d} | '
              + ' | '.join(row) + ' |' + ratios, flush=True)


if __name__ == '__main__':
    main()
