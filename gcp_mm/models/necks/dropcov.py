import math
from typing import Optional

import torch
import torch.nn as nn
from mmengine.registry import MODELS

from gcp_mm.ops import covariance_pool, covariance_pooling

from .gcp import GlobalCovariancePooling


def dropcov_rate(weights: torch.Tensor, cov: torch.Tensor,
                 rate_scale: float = 10.0) -> torch.Tensor:
    """DropCov's adaptive drop rate for a batch (docs/normalisations.md).

    Args:
        weights (Tensor): (B, C) channel attention weights w.
        cov (Tensor): (B, C, C) covariances of the attended features.
        rate_scale (float): the constant of ``1 - rate_scale / log2(C) *
            mean cos(w, row sums of cov)``; 10 in the paper's code.

    Returns:
        Tensor: a scalar in [0, 1], without gradient.
    """
    with torch.no_grad():
        row_sums = cov.sum(dim=2).to(weights.dtype)
        cosine = nn.functional.cosine_similarity(weights, row_sums, dim=1)
        scale = rate_scale / math.log2(weights.shape[1])
        return (1 - scale * cosine.mean()).clamp(0.0, 1.0)


@MODELS.register_module()
class DropCovPooling(GlobalCovariancePooling):
    """DropCov (Wang et al., NeurIPS 2022): covariance pooling without a
    post-normalisation, regularised by an adaptive channel dropout on the
    features right before the covariance, in training only.

    The reduction of ``GlobalCovariancePooling`` (1x1 conv + norm +
    activation to d channels), then, while training: ECA channel attention
    w (global average, 1-D convolution of ``eca_kernel_size`` over the
    channels, softmax), features scaled by 1 + w, a drop rate p from the
    cosine between w and the row sums of their covariance (``dropcov_rate``)
    and channel dropout with rate p (kept channels scaled by 1 / (1 - p);
    the last batch's p is ``last_drop_rate``, a 0-dim tensor on the
    features' device: reading it as a number waits for the device, so the
    neck itself never does).
    Then the plain covariance, vectorised by its upper triangle. At
    inference only the reduction and the covariance run. The rule follows
    the authors' released model code; docs/normalisations.md has the
    formulas.

    Input and output are those of ``GlobalCovariancePooling`` (feature maps,
    or tokens with ``token_input``): (B, d(d+1)/2).

    Args:
        in_channels (int): C, channels of the input.
        reduced_channels (int, optional): d (``None``: no reduction).
            Defaults to 256.
        eca_kernel_size (int): the attention's 1-D kernel. Defaults to 3.
        rate_scale (float): see ``dropcov_rate``. Defaults to 10.
        **kwargs: ``token_input``, ``num_extra_tokens``, ``norm_cfg``,
            ``act_cfg``, ``init_cfg`` of ``GlobalCovariancePooling``.
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: Optional[int] = 256,
                 eca_kernel_size: int = 3,
                 rate_scale: float = 10.0,
                 **kwargs):
        if 'normalization' in kwargs:
            raise ValueError('DropCovPooling replaces the normalisation by '
                             'its channel dropout; use '
                             'GlobalCovariancePooling to choose one')
        if kwargs.get('concat_cls_token'):
            raise ValueError('DropCovPooling does not concatenate the class '
                             'token')
        super().__init__(in_channels, reduced_channels,
                         normalization='none', **kwargs)
        if eca_kernel_size < 1 or eca_kernel_size % 2 == 0:
            raise ValueError('eca_kernel_size must be a positive odd int, '
                             f'got {eca_kernel_size!r}')
        if self.reduced_channels < 2:
            raise ValueError('DropCovPooling needs at least 2 channels')
        self.eca = nn.Conv1d(1, 1, eca_kernel_size,
                             padding=eca_kernel_size // 2, bias=False)
        self.rate_scale = rate_scale
        self.last_drop_rate = None

    def adaptive_channel_dropout(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d, H, W) -> attended features with channels dropped.

        Nothing here waits for the device: the rate stays a tensor
        (``last_drop_rate``, 0-dim), and the rate-1 case is arithmetic, not
        a branch.
        """
        batch, channels = x.shape[:2]
        pooled = x.mean(dim=(2, 3)).unsqueeze(1)  # (B, 1, d)
        weights = self.eca(pooled).squeeze(1).softmax(dim=1)
        x = x * (1 + weights.view(batch, channels, 1, 1))
        with torch.no_grad():  # the rate only steers the dropout
            rate = dropcov_rate(weights, covariance_pool(x),
                                self.rate_scale)
        self.last_drop_rate = rate
        keep = 1 - rate.float()
        kept = torch.rand(batch, channels, 1, 1, device=x.device) < keep
        # Kept channels are scaled by 1 / keep. At rate 1 the output is x
        # times zero rather than a fresh zero tensor, so the layers before
        # stay in the graph (with zero gradient): DDP without
        # find_unused_parameters expects a gradient for every parameter.
        scale = torch.where(kept, keep.clamp(min=1e-12).reciprocal(),
                            torch.zeros((), device=x.device))
        return x * scale.to(x.dtype)

    def _normalized(self, x: torch.Tensor) -> torch.Tensor:
        if self.reduction is not None:
            x = self.reduction(x)
        if self.training:
            x = self.adaptive_channel_dropout(x)
        return covariance_pooling(x, 'none')
