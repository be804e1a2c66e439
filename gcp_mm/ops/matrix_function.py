"""The numerical conventions every matrix function of ``gcp_mm.ops``
shares, and the one place that applies them.

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
from typing import Iterator, Optional, Tuple, Type

import torch
from torch import Tensor

__all__ = [
    'matrix_dtype', 'matrix_function_context', 'matrix_batch',
    'MatrixFunction', 'split_samples', 'mark_samples'
]


def matrix_dtype(x: Tensor) -> Tensor:
    """``x`` in float32 or float64: half / bfloat16 promoted to float32,
    integers refused."""
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


def matrix_batch(name: str, cov: Tensor) -> Tensor:
    """``cov`` checked to be (B, C, C) and in a matrix dtype; ``name`` is
    the function the error message names."""
    if cov.dim() != 3 or cov.shape[1] != cov.shape[2]:
        raise ValueError(f'{name} expects square matrices of shape '
                         f'(B, C, C), got {tuple(cov.shape)}')
    return matrix_dtype(cov)


class MatrixFunction:
    """``function.apply(cov, *args)`` on (B, C, C) batches under the
    module's conventions, its arguments fixed (and checked) when it is
    made, so that a neck chooses its normalisation once.

    Args:
        name (str): the public function it stands for (error messages).
        function (type, optional): a ``torch.autograd.Function`` taking
            ``(cov, *args)``; None for the identity (the batch only checked
            and put in a matrix dtype).
        *args: the function's arguments after ``cov``.
    """

    def __init__(self,
                 name: str,
                 function: Optional[Type[torch.autograd.Function]] = None,
                 *args):
        self.name = name
        self.function = function
        self.args = args

    def __call__(self, cov: Tensor) -> Tensor:
        cov = matrix_batch(self.name, cov)
        if self.function is None:
            return cov
        with matrix_function_context(cov.device):
            return self.function.apply(cov, *self.args)

    def __repr__(self) -> str:
        args = ''.join(f', {arg!r}' for arg in self.args)
        return f'{type(self).__name__}({self.name!r}{args})'


def split_samples(sym: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The samples a matrix function cannot take as they are.

    Returns ``(safe, zero, bad)``: ``sym`` with those samples replaced by
    the identity, the mask of zero-trace samples (sqrtm(0) = 0) and the
    mask of samples holding NaN or Inf (LAPACK must not see them: a NaN in
    one sample may fail the whole batched call).
    """
    bad = ~torch.isfinite(sym).flatten(1).all(dim=1)
    trace = sym.diagonal(dim1=1, dim2=2).sum(dim=1)
    zero = (trace.abs() <= torch.finfo(sym.dtype).tiny) & ~bad
    mask = (zero | bad).view(-1, 1, 1)
    eye = torch.eye(sym.shape[-1], dtype=sym.dtype, device=sym.device)
    return torch.where(mask, eye, sym), zero, bad


def mark_samples(out: Tensor, zero: Tensor, bad: Tensor) -> Tensor:
    """Zero for zero samples, NaN for non-finite ones (in place)."""
    out.masked_fill_(zero.view(-1, 1, 1), 0.0)
    return out.masked_fill_(bad.view(-1, 1, 1), float('nan'))
