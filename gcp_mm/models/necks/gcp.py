from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmengine.registry import MODELS

from gcp_mm.ops import isqrt_cov
from gcp_mm.ops.isqrt_cov import check_num_iters


# Registered in mmengine's root registry so that mmpretrain and mmdet
# configs (child registries) both find it.
@MODELS.register_module()
class GlobalCovariancePooling(BaseModule):
    """Global covariance pooling neck (iSQRT-COV).

    An optional 1x1 convolution (no bias) + norm + activation reduces the
    channels to ``reduced_channels`` = d, then the matrix square root of the
    per-sample covariance is vectorised by its upper triangle.

    Input: a tensor (B, C, H, W) or a tuple of them (like mmpretrain's
    ``GlobalAveragePooling``). Output: (B, d(d+1)/2), or a tuple of them; the
    size is available as ``out_channels`` (32896 for d = 256), float32 also
    under mixed precision.

    Args:
        in_channels (int): C, channels of the input feature map.
        reduced_channels (int, optional): d. ``None`` skips the reduction
            (d = C). Defaults to 256.
        num_iters (int): Newton-Schulz iterations. Defaults to 5.
        norm_cfg (dict): norm layer after the reduction conv.
        act_cfg (dict): activation after it; ReLU as the reference ResNets,
            ``dict(type='ReLU6')`` as its MobileNetV2 / ShuffleNetV2.
        init_cfg (dict | list[dict], optional): defaults to the reference
            initialisation: Kaiming normal (fan_out, relu) for the conv, BN
            weight 1 and bias 0.
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: Optional[int] = 256,
                 num_iters: int = 5,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=(dict(
                     type='Kaiming',
                     layer='Conv2d',
                     mode='fan_out',
                     nonlinearity='relu'),
                           dict(
                               type='Constant',
                               layer=['_BatchNorm', 'GroupNorm'],
                               val=1,
                               bias=0))):
        if isinstance(init_cfg, tuple):
            init_cfg = list(init_cfg)
        super().__init__(init_cfg=init_cfg or None)
        check_num_iters(num_iters)
        if reduced_channels is not None and reduced_channels < 1:
            raise ValueError('reduced_channels must be a positive int or '
                             f'None, got {reduced_channels!r}')
        if reduced_channels is not None and reduced_channels > in_channels:
            raise ValueError(
                f'reduced_channels={reduced_channels} is larger than '
                f'in_channels={in_channels}; set reduced_channels <= '
                'in_channels, or None to skip the reduction')
        self.in_channels = in_channels
        self.num_iters = num_iters
        if reduced_channels is None:
            self.reduction = None
            dim = in_channels
        else:
            self.reduction = nn.Sequential(
                nn.Conv2d(in_channels, reduced_channels, 1, bias=False),
                build_norm_layer(norm_cfg, reduced_channels)[1],
                build_activation_layer(act_cfg))
            dim = reduced_channels
        self.reduced_channels = dim
        self.out_channels = dim * (dim + 1) // 2

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects (B, {self.in_channels}, H, W) '
                f'features (in_channels={self.in_channels}), got '
                f'{tuple(x.shape)}')
        if x.shape[2] * x.shape[3] < 2:
            raise ValueError(
                f'{type(self).__name__} got a {x.shape[2]}x{x.shape[3]} '
                'feature map: the covariance of a single position is zero. '
                'Use a larger input or keep more resolution in the backbone '
                '(e.g. a stride-1 last stage).')
        if self.reduction is not None:
            x = self.reduction(x)
        return isqrt_cov(x, self.num_iters)

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        if isinstance(inputs, tuple):
            return tuple(self._pool(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        raise TypeError('neck inputs should be a tuple or a torch.Tensor, '
                        f'got {type(inputs).__name__}')
