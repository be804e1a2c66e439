import logging
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.registry import MODELS

from gcp_mm.ops import covariance_matrix, normalization_function, triu_vector

from .base_covariance_pooling import BaseCovariancePooling
from .reduction import REFERENCE_INIT_CFG
from .slow_eig import slow_eig_warning


# Registered in mmengine's root registry so that mmpretrain and mmdet
# configs (child registries) both find it.
@MODELS.register_module()
class GlobalCovariancePooling(BaseCovariancePooling):
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

    The normalisation is chosen when the neck is built (``normalize``, a
    callable); setting ``normalization``, ``num_iters`` or
    ``lyapunov_iters`` afterwards chooses it again, with the same checks.
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
                 init_cfg=REFERENCE_INIT_CFG):
        # the normalisation's arguments are checked first
        normalize = normalization_function(normalization, num_iters,
                                           lyapunov_iters)
        super().__init__(in_channels, reduced_channels, token_input,
                         num_extra_tokens, concat_cls_token, norm_cfg,
                         act_cfg, init_cfg)
        self._choose_normalization(normalization, num_iters, lyapunov_iters,
                                   normalize)
        self._slow_eig_said = False

    def _choose_normalization(self, normalization: str, num_iters: int,
                              lyapunov_iters: int, normalize=None) -> None:
        """The one place the switch is read: ``normalize`` is the chosen
        matrix function (``normalization_function``, which checks the
        arguments)."""
        self.normalize = normalize or normalization_function(
            normalization, num_iters, lyapunov_iters)
        self._normalization = (normalization, num_iters, lyapunov_iters)

    @property
    def normalization(self) -> str:
        return self._normalization[0]

    @normalization.setter
    def normalization(self, value: str) -> None:
        self._choose_normalization(value, *self._normalization[1:])

    @property
    def num_iters(self) -> int:
        return self._normalization[1]

    @num_iters.setter
    def num_iters(self, value: int) -> None:
        method, _, lyapunov_iters = self._normalization
        self._choose_normalization(method, value, lyapunov_iters)

    @property
    def lyapunov_iters(self) -> int:
        return self._normalization[2]

    @lyapunov_iters.setter
    def lyapunov_iters(self, value: int) -> None:
        self._choose_normalization(*self._normalization[:2], value)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """Positions, reduction, covariance, normalisation, upper
        triangle (and the class token before it)."""
        feats = self.reduced_positions(x)
        if self.normalization == 'eig' and not self._slow_eig_said:
            warning = slow_eig_warning(feats.device.type, feats.shape[1])
            if warning:  # once per neck
                self._slow_eig_said = True
                print_log(warning, logger='current', level=logging.WARNING)
        pooled = triu_vector(self.normalize(covariance_matrix(feats)))
        if not self.concat_cls_token:
            return pooled
        return torch.cat([x[:, 0].to(pooled.dtype), pooled], dim=1)
