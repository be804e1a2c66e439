import logging
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.registry import MODELS

from gcp_mm.ops import covariance_pooling, isqrt_cov
from gcp_mm.ops.isqrt_cov import check_num_iters
from gcp_mm.ops.normalization import check_normalization
from gcp_mm.ops.sqrtm_pade import check_lyapunov_iters

from .inputs import BackboneOutputError, pooled_output_fix
from .slow_eig import slow_eig_warning


# Registered in mmengine's root registry so that mmpretrain and mmdet
# configs (child registries) both find it.
@MODELS.register_module()
class GlobalCovariancePooling(BaseModule):
    """Global covariance pooling neck (iSQRT-COV and its alternatives).

    An optional 1x1 convolution (no bias) + norm + activation reduces the
    channels to ``reduced_channels`` = d, then the per-sample covariance is
    normalised (``normalization``, by default the Newton-Schulz square root
    of iSQRT-COV) and vectorised by its upper triangle. The normalisations
    and their sources: docs/normalisations.md.

    Input: a tensor (B, C, H, W) or a tuple of them (like mmpretrain's
    ``GlobalAveragePooling``); with ``token_input=True`` token sequences
    (B, N, C) instead (mmpretrain's ``VisionTransformer(out_type='raw')``),
    whose patch tokens, after ``num_extra_tokens`` leading ones, are the
    positions. Output: (B, d(d+1)/2), or a tuple of them, plus C leading
    values (the class token) with ``concat_cls_token``; the size is
    available as ``out_channels`` (32896 for d = 256), float32 also under
    mixed precision.

    Args:
        in_channels (int): C, channels of the input feature map (the token
            width for tokens).
        reduced_channels (int, optional): d. ``None`` skips the reduction
            (d = C). Defaults to 256.
        num_iters (int): Newton-Schulz iterations (``'newton_schulz'``
            only). Defaults to 5.
        normalization (str): ``'newton_schulz'`` (iSQRT-COV, the default),
            ``'eig'`` (MPN-COV's exact root by eigendecomposition),
            ``'pade'`` (MPA-Lya) or ``'none'`` (the plain covariance).
        lyapunov_iters (int): steps of MPA-Lya's backward iteration
            (``'pade'`` only). Defaults to 8, the paper's.
        token_input (bool): inputs are (B, N, C) token sequences.
        num_extra_tokens (int): leading non-patch tokens of each sequence
            (1: a class token, 2: DeiT's class + distillation tokens, 0:
            none); only with ``token_input``. Defaults to 1.
        concat_cls_token (bool): So-ViT: put the first token (the class
            token) before the pooled covariance; a linear head on the
            concatenation sums a class-token and a covariance classifier.
            Only with ``token_input`` and ``num_extra_tokens >= 1``.
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
                 normalization: str = 'newton_schulz',
                 lyapunov_iters: int = 8,
                 token_input: bool = False,
                 num_extra_tokens: int = 1,
                 concat_cls_token: bool = False,
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
        check_normalization(normalization)
        check_lyapunov_iters(lyapunov_iters)
        if not isinstance(num_extra_tokens, int) or num_extra_tokens < 0:
            raise ValueError('num_extra_tokens must be an int >= 0, got '
                             f'{num_extra_tokens!r}')
        if concat_cls_token and not (token_input and num_extra_tokens):
            raise ValueError(
                'concat_cls_token=True needs token_input=True and a class '
                'token (num_extra_tokens >= 1)')
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
        self.normalization = normalization
        self.lyapunov_iters = lyapunov_iters
        self.token_input = token_input
        self.num_extra_tokens = num_extra_tokens
        self.concat_cls_token = concat_cls_token
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
        self.out_channels = dim * (dim + 1) // 2 + (
            in_channels if concat_cls_token else 0)
        self._slow_eig_said = False

    def _normalized(self, x: torch.Tensor) -> torch.Tensor:
        """Reduction, covariance, normalisation, upper triangle."""
        if self.reduction is not None:
            x = self.reduction(x)
        if self.normalization == 'eig' and not self._slow_eig_said:
            warning = slow_eig_warning(x.device.type, x.shape[1])
            if warning:  # once per neck
                self._slow_eig_said = True
                print_log(warning, logger='current', level=logging.WARNING)
        if self.normalization == 'newton_schulz':
            return isqrt_cov(x, self.num_iters)
        return covariance_pooling(x, self.normalization, self.num_iters,
                                  self.lyapunov_iters)

    def _pool_tokens(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] != self.in_channels:
            raise BackboneOutputError(
                f'{type(self).__name__}(token_input=True) expects (B, N, '
                f'{self.in_channels}) tokens (in_channels='
                f'{self.in_channels}), got {tuple(x.shape)}')
        patches = x[:, self.num_extra_tokens:]
        if patches.shape[1] < 2:
            raise ValueError(
                f'{type(self).__name__} got {patches.shape[1]} patch '
                'token(s): the covariance of a single position is zero')
        # (B, N, C) -> (B, C, N, 1): the tokens are the positions
        pooled = self._normalized(patches.transpose(1, 2).unsqueeze(-1))
        if not self.concat_cls_token:
            return pooled
        return torch.cat([x[:, 0].to(pooled.dtype), pooled], dim=1)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if self.token_input:
            return self._pool_tokens(x)
        if x.dim() == 2:
            raise BackboneOutputError(
                f'{type(self).__name__} got pooled (B, C) vectors '
                f'{tuple(x.shape)}, of which no covariance can be taken: '
                + pooled_output_fix())
        if x.dim() == 3:
            raise BackboneOutputError(
                f'{type(self).__name__} got (B, N, C) tokens '
                f'{tuple(x.shape)}: set token_input=True')
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
        return self._normalized(x)

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        if isinstance(inputs, tuple):
            return tuple(self._pool(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        raise TypeError('neck inputs should be a tuple or a torch.Tensor, '
                        f'got {type(inputs).__name__}')
