"""Whether many tensors are all finite, at the cost of one fused kernel
and no host sync (the caller decides when to read the answer)."""
from typing import Iterable, Iterator, Optional, Tuple

import torch


def all_finite(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """A 0-d bool tensor: every floating-point tensor is free of NaN/Inf.
    One fused max-abs norm per device (a max never overflows where a sum
    of squares would, and NaN propagates through it)."""
    by_device = {}
    for tensor in tensors:
        if tensor.is_floating_point() and tensor.numel():
            by_device.setdefault(tensor.device, []).append(tensor.detach())
    answers = [
        torch.isfinite(torch.stack([
            norm.float()
            for norm in torch._foreach_norm(group, ord=float('inf'))
        ])).all() for group in by_device.values()
    ]
    if len(answers) == 1:
        return answers[0]
    return torch.stack([a.cpu() for a in answers]).all() if answers else \
        torch.tensor(True)


def nested_tensors(value, prefix: str = '') -> Iterator[Tuple[str,
                                                              torch.Tensor]]:
    """(name, tensor) of every tensor inside dicts and lists."""
    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nested_tensors(item, f'{prefix}.{key}' if prefix
                                      else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from nested_tensors(item, f'{prefix}.{index}' if prefix
                                      else str(index))


def first_non_finite(named: Iterable[Tuple[str, torch.Tensor]],
                     ) -> Optional[str]:
    """The name of the first tensor holding NaN/Inf (the slow path, once a
    fused check has failed), and how many more do."""
    bad = [name for name, tensor in named if tensor.is_floating_point()
           and not bool(torch.isfinite(tensor).all())]
    if not bad:
        return None
    return bad[0] + (f' and {len(bad) - 1} more' if len(bad) > 1 else '')
