import math
from typing import Optional

import torch
import torch.nn as nn
from mmengine.registry import MODELS

from gcp_mm.ops import covariance_matrix, triu_vector
from gcp_mm.ops.sqrtm_newton_schulz import check_num_iters
from gcp_mm.ops.sqrtm_pade import check_lyapunov_iters

from .base_covariance_pooling import BaseCovariancePooling
from .reduction import REFERENCE_INIT_CFG


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
class DropCovPooling(BaseCovariancePooling):
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
    or tokens with ``token_input``): (B, d(d+1)/2). It is built from the
    same pieces (``build_reduction``, ``covariance_positions``,
    ``covariance_matrix``, ``triu_vector``), so its checkpoint keys are
    ``reduction.*`` as the GCP neck's, plus ``eca.weight``.

    Args:
        in_channels (int): C, channels of the input.
        reduced_channels (int, optional): d (``None``: no reduction).
            Defaults to 256.
        eca_kernel_size (int): the attention's 1-D kernel. Defaults to 3.
        rate_scale (float): see ``dropcov_rate``. Defaults to 10.
        token_input, num_extra_tokens, norm_cfg, act_cfg, init_cfg: as in
            ``GlobalCovariancePooling``.
        concat_cls_token (bool): only False: DropCov does not concatenate
            the class token.
        num_iters, lyapunov_iters: accepted (and checked) so that a config
            derived from a GCP one keeps building; DropCov has no
            normalisation to use them. ``normalization`` is refused.
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: Optional[int] = 256,
                 eca_kernel_size: int = 3,
                 rate_scale: float = 10.0,
                 token_input: bool = False,
                 num_extra_tokens: int = 1,
                 concat_cls_token: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=REFERENCE_INIT_CFG,
                 num_iters: int = 5,
                 lyapunov_iters: int = 8,
                 **kwargs):
        unknown = set(kwargs) - {'normalization'}
        if unknown:
            raise TypeError('DropCovPooling got an unexpected keyword '
                            f'argument {sorted(unknown)[0]!r}')
        if kwargs:
            raise ValueError('DropCovPooling replaces the normalisation by '
                             'its channel dropout; use '
                             'GlobalCovariancePooling to choose one')
        # a GCP base config's settings, merged into a DropCov neck: checked
        # as the GCP neck checks them, and unused
        check_num_iters(num_iters)
        check_lyapunov_iters(lyapunov_iters)
        if concat_cls_token:
            raise ValueError('DropCovPooling does not concatenate the class '
                             'token')
        super().__init__(in_channels, reduced_channels, token_input,
                         num_extra_tokens, False, norm_cfg, act_cfg,
                         init_cfg)
        dim = self.reduced_channels
        if eca_kernel_size < 1 or eca_kernel_size % 2 == 0:
            raise ValueError('eca_kernel_size must be a positive odd int, '
                             f'got {eca_kernel_size!r}')
        if dim < 2:
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
            rate = dropcov_rate(weights, covariance_matrix(x),
                                self.rate_scale)
        self.last_drop_rate = rate
        keep = 1 - rate.float()  # a dtype cast on the device, not a read
        kept = torch.rand(batch, channels, 1, 1, device=x.device) < keep
        # Kept channels are scaled by 1 / keep. At rate 1 the output is x
        # times zero rather than a fresh zero tensor, so the layers before
        # stay in the graph (with zero gradient): DDP without
        # find_unused_parameters expects a gradient for every parameter.
        scale = torch.where(kept, keep.clamp(min=1e-12).reciprocal(),
                            torch.zeros((), device=x.device))
        return x * scale.to(x.dtype)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.reduced_positions(x)
        if self.training:
            feats = self.adaptive_channel_dropout(feats)
        return triu_vector(covariance_matrix(feats))
