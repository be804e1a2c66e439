"""The channel reduction before a covariance neck's covariance: the GCP
paper's 1x1 convolution (no bias) + norm + activation from C to d
channels, shared by every covariance neck."""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer

__all__ = ['REFERENCE_INIT_CFG', 'build_reduction']

#: The reference initialisation: Kaiming normal (fan_out, relu) for the
#: conv, norm weight 1 and bias 0.
REFERENCE_INIT_CFG = (
    dict(type='Kaiming', layer='Conv2d', mode='fan_out',
         nonlinearity='relu'),
    dict(type='Constant', layer=['_BatchNorm', 'GroupNorm'], val=1, bias=0),
)


def build_reduction(in_channels: int, reduced_channels: Optional[int],
                    norm_cfg: dict, act_cfg: dict) -> Optional[nn.Sequential]:
    """``Sequential(conv, norm, act)`` from C = ``in_channels`` to
    d = ``reduced_channels`` (its indices 0, 1, 2 are the checkpoint keys
    ``reduction.0`` .. ``reduction.2``), or None for ``reduced_channels=
    None``. A ValueError names a d that is not in 1..C."""
    if reduced_channels is None:
        return None
    if reduced_channels < 1:
        raise ValueError('reduced_channels must be a positive int or '
                         f'None, got {reduced_channels!r}')
    if reduced_channels > in_channels:
        raise ValueError(
            f'reduced_channels={reduced_channels} is larger than '
            f'in_channels={in_channels}; set reduced_channels <= '
            'in_channels, or None to skip the reduction')
    return nn.Sequential(
        nn.Conv2d(in_channels, reduced_channels, 1, bias=False),
        build_norm_layer(norm_cfg, reduced_channels)[1],
        build_activation_layer(act_cfg))
