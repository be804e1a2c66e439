"""The benchmarks' one timing and memory harness.

Timing: the median wall time of a call after a warm-up, the device
synchronised around each call; several calls timed in turns, round after
round, so that drifts of the machine's speed (other jobs on a shared CPU)
hit all of them alike.

Peak memory of one call, measured in a fresh process (``in_fresh_process``
runs the benchmark script again with its ``--child`` arguments): on CUDA
``torch.cuda.max_memory_allocated`` above what was allocated before; on
the CPU the growth of the resident set's high-water mark (Linux VmHWM,
reset to the current resident set first), glibc told to mmap every
allocation above 64 KiB so that freed tensors leave the resident set and
the figure follows live memory.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict

import torch


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def median_seconds(fn: Callable, repeats: int,
                   device: torch.device = torch.device('cpu')) -> float:
    """Median seconds of ``fn()`` over ``repeats`` calls after one warm-up
    call (kernels, BLAS / cuSOLVER handles, the allocator)."""
    return median_seconds_in_turns({None: fn}, repeats, device)[None]


def median_seconds_in_turns(fns: Dict[str, Callable], repeats: int,
                            device: torch.device = torch.device('cpu')
                            ) -> Dict[str, float]:
    """Median seconds of each call; the calls take turns for ``repeats``
    rounds after a first round that warms up."""
    times = {name: [] for name in fns}
    for round_ in range(repeats + 1):
        for name, fn in fns.items():
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _proc_status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def peak_rss_growth(fn: Callable) -> int:
    """Bytes by which the resident set's high-water mark (VmHWM, reset to
    the current resident set first) grows while ``fn()`` runs (Linux)."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    base = _proc_status_kib('VmRSS')
    fn()
    return (_proc_status_kib('VmHWM') - base) * 1024


def peak_bytes(fn: Callable, device: torch.device,
               warm_up: Callable = lambda: None) -> int:
    """Peak memory of ``fn()`` on ``device``; on the CPU ``warm_up()`` runs
    first (a tiny problem, so that loading the libraries is not counted).
    Call it in a fresh process (``in_fresh_process``)."""
    if device.type == 'cuda':
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        sync(device)
        return torch.cuda.max_memory_allocated(device) - base
    warm_up()
    return peak_rss_growth(fn)


def in_fresh_process(script: str, child_args: list) -> int:
    """Run ``script --child <child_args as JSON>`` in a fresh Python with
    glibc's mmap threshold at 64 KiB; the integer it prints last."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    result = subprocess.run(
        [sys.executable, script, '--child', json.dumps(child_args)],
        env=env, capture_output=True, text=True, check=True)
    return int(result.stdout.strip().splitlines()[-1])
