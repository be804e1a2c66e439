"""What a covariance neck pools at run time: the positions of its input
(a feature map's H * W, or a token sequence's patch tokens), with one line
naming the fix for input of which no covariance can be taken. Both necks
read their input through here; the config-time checks of a backbone's
output are in ``inputs.py``."""
from typing import Callable, Tuple, Union

from torch import Tensor

from .inputs import BackboneOutputError, pooled_output_fix

__all__ = ['check_token_arguments', 'covariance_positions', 'pool_each']


def check_token_arguments(token_input: bool, num_extra_tokens: int,
                          concat_cls_token: bool) -> None:
    """A ValueError for token settings a covariance neck cannot follow."""
    if not isinstance(num_extra_tokens, int) or num_extra_tokens < 0:
        raise ValueError('num_extra_tokens must be an int >= 0, got '
                         f'{num_extra_tokens!r}')
    if concat_cls_token and not (token_input and num_extra_tokens):
        raise ValueError(
            'concat_cls_token=True needs token_input=True and a class '
            'token (num_extra_tokens >= 1)')


def covariance_positions(x: Tensor, neck: str, in_channels: int,
                         token_input: bool = False,
                         num_extra_tokens: int = 1) -> Tensor:
    """The (B, C, H, W) map whose H * W positions the neck ``neck`` (its
    class name, for the messages) pools: ``x`` itself, or for
    ``token_input`` the patch tokens of (B, N, C) after
    ``num_extra_tokens`` leading ones, as (B, C, N - extra, 1). Raises
    ``BackboneOutputError`` / ValueError, naming the fix, for what no
    covariance can be taken of."""
    if token_input:
        if x.dim() != 3 or x.shape[2] != in_channels:
            raise BackboneOutputError(
                f'{neck}(token_input=True) expects (B, N, {in_channels}) '
                f'tokens (in_channels={in_channels}), got {tuple(x.shape)}')
        patches = x[:, num_extra_tokens:]
        if patches.shape[1] < 2:
            raise ValueError(
                f'{neck} got {patches.shape[1]} patch token(s): the '
                'covariance of a single position is zero')
        return patches.transpose(1, 2).unsqueeze(-1)
    if x.dim() == 2:
        raise BackboneOutputError(
            f'{neck} got pooled (B, C) vectors {tuple(x.shape)}, of which '
            'no covariance can be taken: ' + pooled_output_fix())
    if x.dim() == 3:
        raise BackboneOutputError(
            f'{neck} got (B, N, C) tokens {tuple(x.shape)}: set '
            'token_input=True')
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(
            f'{neck} expects (B, {in_channels}, H, W) features '
            f'(in_channels={in_channels}), got {tuple(x.shape)}')
    if x.shape[2] * x.shape[3] < 2:
        raise ValueError(
            f'{neck} got a {x.shape[2]}x{x.shape[3]} feature map: the '
            'covariance of a single position is zero. Use a larger input '
            'or keep more resolution in the backbone (e.g. a stride-1 last '
            'stage).')
    return x


def pool_each(pool: Callable[[Tensor], Tensor],
              inputs: Union[Tensor, Tuple[Tensor, ...]]
              ) -> Union[Tensor, Tuple[Tensor, ...]]:
    """``pool`` on a tensor, or on each tensor of a tuple (as mmpretrain's
    ``GlobalAveragePooling`` takes a backbone's outputs)."""
    if isinstance(inputs, tuple):
        return tuple(pool(x) for x in inputs)
    if isinstance(inputs, Tensor):
        return pool(inputs)
    raise TypeError('neck inputs should be a tuple or a torch.Tensor, '
                    f'got {type(inputs).__name__}')
