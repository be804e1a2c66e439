"""Every normalisation of gcp_mm, and DropCov, side by side at the
papers' shapes.

For each method of ``gcp_mm.ops.NORMALIZATIONS`` (covariance -> method ->
upper triangle, as the neck runs it) and for DropCov (``DropCovPooling``
without the reduction: in training the attention, the drop rate, the
channel dropout and the covariance; at inference the covariance alone) on
ReLU features (rank-deficient covariances whenever H * W < C, as real ones
are): the median time of one training forward+backward and its ratio to
Newton-Schulz, the median time of one inference forward (no autograd), the
peak memory of one forward+backward, and the relative Frobenius error of
the matrix square root against float64 ``torch.linalg.eigh`` (mean and max
over the batch; 'none' and DropCov take no square root).

    .venv/bin/python benchmarks/normalisations.py            # 4 shapes
    .venv/bin/python benchmarks/normalisations.py --quick    # C=256, 14x14

Times are medians, the methods taking turns; peak memory is measured in a
fresh subprocess per (method, shape) (``benchmarks/harness.py`` says how).
Numbers are reported, never asserted.
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
from gcp_mm.models.necks import DropCovPooling  # noqa: E402
from gcp_mm.ops import (  # noqa: E402
    NORMALIZATIONS,
    covariance_matrix,
    normalize_covariance,
    normalized_covariance_triu,
)

METHODS = NORMALIZATIONS + ('dropcov', )


def _make_input(batch, channels, side, device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, side, side, generator=gen).relu_()
    return x.to(device).requires_grad_()


def pooling(method, channels, device):
    """(B, C, H, W) -> (B, C(C+1)/2) as the neck computes it for
    ``method``: a function, or DropCov's neck (``.train()`` / ``.eval()``
    choose the step)."""
    if method == 'dropcov':
        torch.manual_seed(0)
        return DropCovPooling(channels, reduced_channels=None).to(device)
    return lambda x: normalized_covariance_triu(x, method)


def _train_step(pool, x, grad, autocast_dtype=None):
    with torch.autocast(x.device.type, dtype=autocast_dtype,
                        enabled=autocast_dtype is not None):
        out = pool(x)
    out.backward(grad)


def _inference(pool, x, autocast_dtype=None):
    with torch.no_grad(), torch.autocast(
            x.device.type, dtype=autocast_dtype,
            enabled=autocast_dtype is not None):
        pool(x)


def time_methods(batch, channels, side, device, repeats, autocast_dtype):
    """Median seconds per method of one training forward+backward and of
    one inference forward."""
    x = _make_input(batch, channels, side, device)
    grad = torch.randn(batch, channels * (channels + 1) // 2,
                       generator=torch.Generator().manual_seed(1)).to(device)
    pools = {m: pooling(m, channels, device) for m in METHODS}

    def train(method):
        getattr(pools[method], 'train', lambda: None)()
        x.grad = None
        _train_step(pools[method], x, grad, autocast_dtype)

    def infer(method):
        getattr(pools[method], 'eval', lambda: None)()
        _inference(pools[method], x, autocast_dtype)

    steps = {('train', m): lambda m=m: train(m) for m in METHODS}
    steps.update({('infer', m): lambda m=m: infer(m) for m in METHODS})
    return median_seconds_in_turns(steps, repeats, device)


def sqrt_errors(batch, channels, side, device):
    """(mean, max) relative Frobenius error of each method's root against
    float64 eigh of the same (float32) covariance."""
    with torch.no_grad():
        cov = covariance_matrix(_make_input(batch, channels, side, device))
        eig, vec = torch.linalg.eigh(cov.double())
        exact = (vec * eig.clamp(min=0).sqrt().unsqueeze(1)) @ vec.mT
        errors = {}
        for method in NORMALIZATIONS:
            if method == 'none':
                continue
            root = normalize_covariance(cov, method).double()
            rel = torch.linalg.matrix_norm(root - exact) / \
                torch.linalg.matrix_norm(exact)
            errors[method] = (rel.mean().item(), rel.max().item())
    return errors


def _peak_memory_child(method, batch, channels, side, device):
    x = _make_input(batch, channels, side, device)
    grad = torch.ones(batch, channels * (channels + 1) // 2, device=device)
    pool = pooling(method, channels, device)
    return peak_bytes(
        lambda: _train_step(pool, x, grad), device,
        warm_up=lambda: _train_step(pooling(method, 4, device),
                                    _make_input(2, 4, 2, device),
                                    torch.ones(2, 10, device=device)))


def peak_memory(method, batch, channels, side, device):
    """Peak bytes of one forward+backward, in a fresh process."""
    return in_fresh_process(__file__, [method, batch, channels, side,
                                       str(device)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='only the headline shape C=256, 14x14')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--autocast', choices=['float16', 'bfloat16'],
                        help='time under torch.autocast of this dtype '
                        '(errors and memory stay float32)')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak memory subprocesses')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        method, batch, channels, side, device = json.loads(args.child)
        print(_peak_memory_child(method, batch, channels, side,
                                 torch.device(device)))
        return

    device = torch.device(args.device)
    autocast_dtype = getattr(torch, args.autocast) if args.autocast else None
    cases = [(256, 14)] if args.quick else [(256, 14), (256, 7), (128, 14),
                                            (128, 7)]
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' \
        else f'cpu, {torch.get_num_threads()} threads'
    print(f'covariance pooling, batch {args.batch}, ReLU features, '
          f'{name}, torch {torch.__version__}, median of {args.repeats}, '
          f'autocast {args.autocast or "off"}; train: forward+backward '
          '(DropCov in training mode), infer: forward without autograd')
    header = (f"{'C':>4} {'HxW':>6} {'method':14} {'train ms':>9} "
              f"{'/NS':>6} {'infer ms':>9} {'MiB':>8} {'err mean':>9} "
              f"{'err max':>9}")
    print(header)
    print('-' * len(header))
    for channels, side in cases:
        seconds = time_methods(args.batch, channels, side, device,
                               args.repeats, autocast_dtype)
        errors = sqrt_errors(args.batch, channels, side, device)
        ns = seconds[('train', 'newton_schulz')]
        for method in METHODS:
            mem = '-' if args.no_memory else \
                f'{peak_memory(method, args.batch, channels, side, device) / 2**20:8.1f}'  # noqa: E501
            err = errors.get(method)
            err_txt = (f'{err[0]:9.2e} {err[1]:9.2e}' if err else
                       f"{'-':>9} {'-':>9}")
            train = seconds[('train', method)]
            print(f'{channels:4d} {side:>3d}x{side:<2d} {method:14} '
                  f'{train * 1e3:9.1f} {train / ns:6.2f} '
                  f"{seconds[('infer', method)] * 1e3:9.1f} "
                  f'{mem:>8} {err_txt}', flush=True)


if __name__ == '__main__':
    main()
