"""Every normalisation of gcp_mm side by side, at the papers' shapes.

For each method of ``gcp_mm.ops.NORMALIZATIONS`` (covariance -> method ->
upper triangle, as the neck runs it) on ReLU features (rank-deficient
covariances whenever H * W < C, as real ones are): the median time of one
forward+backward and its ratio to Newton-Schulz, the peak memory of one
forward+backward, and the relative Frobenius error of the matrix square
root against float64 ``torch.linalg.eigh`` (mean and max over the batch;
'none' is no square root and has none).

    .venv/bin/python benchmarks/normalisations.py            # 4 shapes
    .venv/bin/python benchmarks/normalisations.py --quick    # C=256, 14x14

Peak memory is measured as in benchmarks/isqrt_cov.py: in a fresh
subprocess per (method, shape), the growth of the resident set's
high-water mark on CPU (glibc told to mmap allocations above 64 KiB),
``torch.cuda.max_memory_allocated`` on CUDA. Numbers are reported, never
asserted.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from benchmarks.memory import peak_rss_growth  # noqa: E402
from gcp_mm.ops import (  # noqa: E402
    NORMALIZATIONS,
    covariance_matrix,
    normalize_covariance,
    normalized_covariance_triu,
)


def _make_input(batch, channels, side, device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, side, side, generator=gen).relu_()
    return x.to(device).requires_grad_()


def _step(method, x, grad, autocast_dtype=None):
    with torch.autocast(x.device.type, dtype=autocast_dtype,
                        enabled=autocast_dtype is not None):
        out = normalized_covariance_triu(x, method)
    out.backward(grad)


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def time_fwd_bwd(batch, channels, side, device, repeats, autocast_dtype):
    """Median seconds of one forward+backward per method; the methods take
    turns so that drifts of the machine's speed hit all alike."""
    x = _make_input(batch, channels, side, device)
    grad = torch.randn(batch, channels * (channels + 1) // 2,
                       generator=torch.Generator().manual_seed(1)).to(device)
    times = {method: [] for method in NORMALIZATIONS}
    for i in range(repeats + 1):
        for method in NORMALIZATIONS:
            x.grad = None
            _sync(device)
            start = time.perf_counter()
            _step(method, x, grad, autocast_dtype)
            _sync(device)
            if i:  # the first round warms up
                times[method].append(time.perf_counter() - start)
    return {m: sorted(t)[len(t) // 2] for m, t in times.items()}


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
    if device.type == 'cuda':
        _sync(device)
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        _step(method, x, grad)
        _sync(device)
        return torch.cuda.max_memory_allocated() - base
    _step(method, _make_input(2, 4, 2, device),
          torch.ones(2, 10, device=device))  # warm up the libraries
    return peak_rss_growth(lambda: _step(method, x, grad))


def peak_memory(method, batch, channels, side, device):
    """Peak bytes of one forward+backward, in a fresh process."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    args = json.dumps([method, batch, channels, side, str(device)])
    result = subprocess.run(
        [sys.executable, __file__, '--child', args],
        env=env, capture_output=True, text=True, check=True)
    return int(result.stdout.strip().splitlines()[-1])


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
    print(f'covariance pooling forward+backward, batch {args.batch}, ReLU '
          f'features, {name}, torch {torch.__version__}, median of '
          f'{args.repeats}, autocast {args.autocast or "off"}')
    header = (f"{'C':>4} {'HxW':>6} {'method':14} {'ms':>9} "
              f"{'/NS':>6} {'MiB':>8} {'err mean':>9} {'err max':>9}")
    print(header)
    print('-' * len(header))
    for channels, side in cases:
        seconds = time_fwd_bwd(args.batch, channels, side, device,
                               args.repeats, autocast_dtype)
        errors = sqrt_errors(args.batch, channels, side, device)
        for method in NORMALIZATIONS:
            mem = '-' if args.no_memory else \
                f'{peak_memory(method, args.batch, channels, side, device) / 2**20:8.1f}'  # noqa: E501
            err = errors.get(method)
            err_txt = (f'{err[0]:9.2e} {err[1]:9.2e}' if err else
                       f"{'-':>9} {'-':>9}")
            print(f'{channels:4d} {side:>3d}x{side:<2d} {method:14} '
                  f'{seconds[method] * 1e3:9.1f} '
                  f"{seconds[method] / seconds['newton_schulz']:6.2f} "
                  f'{mem:>8} {err_txt}', flush=True)


if __name__ == '__main__':
    main()
