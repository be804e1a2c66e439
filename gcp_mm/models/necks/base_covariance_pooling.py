"""What every covariance neck is made of before its own pooling: the
input's positions (``positions.py``), the channel reduction
(``reduction.py``) and the sizes that follow from them."""
from typing import Optional, Tuple, Union

import torch
from mmengine.model import BaseModule

from .positions import check_token_arguments, covariance_positions, pool_each
from .reduction import REFERENCE_INIT_CFG, build_reduction

__all__ = ['BaseCovariancePooling']


class BaseCovariancePooling(BaseModule):
    """A covariance neck's input side: (B, C, H, W) maps, or (B, N, C)
    token sequences with ``token_input``, reduced to d channels
    (:meth:`reduced_positions`: (B, d, H, W), or (B, d, N - extra, 1));
    ``forward`` applies the subclass's ``_pool`` to a tensor or to each of
    a tuple. The checkpoint keys are ``reduction.0`` .. ``reduction.2``.

    ``reduced_channels`` (d) and ``out_channels`` (d(d+1)/2, plus C with
    ``concat_cls_token``) are set from the arguments, which are those of
    ``GlobalCovariancePooling``.
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: Optional[int] = 256,
                 token_input: bool = False,
                 num_extra_tokens: int = 1,
                 concat_cls_token: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=REFERENCE_INIT_CFG):
        if isinstance(init_cfg, tuple):  # the shared default, not copied
            init_cfg = list(init_cfg)
        super().__init__(init_cfg=init_cfg or None)
        check_token_arguments(token_input, num_extra_tokens,
                              concat_cls_token)
        self.reduction = build_reduction(in_channels, reduced_channels,
                                         norm_cfg, act_cfg)
        self.in_channels = in_channels
        self.token_input = token_input
        self.num_extra_tokens = num_extra_tokens
        self.concat_cls_token = concat_cls_token
        dim = in_channels if reduced_channels is None else reduced_channels
        self.reduced_channels = dim
        self.out_channels = dim * (dim + 1) // 2 + (
            in_channels if concat_cls_token else 0)

    def reduced_positions(self, x: torch.Tensor) -> torch.Tensor:
        """The positions of ``x``, after the reduction."""
        feats = covariance_positions(x, type(self).__name__, self.in_channels,
                                     self.token_input, self.num_extra_tokens)
        if self.reduction is not None:
            feats = self.reduction(feats)
        return feats

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        return pool_each(self._pool, inputs)
