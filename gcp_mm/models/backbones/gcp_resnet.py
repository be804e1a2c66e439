import os
from typing import Tuple

import torch
import torch.nn as nn
from mmdet.models.backbones import ResNet
from mmengine.logging import print_log
from mmengine.registry import MODELS

from gcp_mm.checkpoint import (
    REMOTE_CHECKPOINTS,
    CheckpointError,
    backbone_state_dict,
    load_weights,
    read_state_dict,
)
from gcp_mm.checkpoint.io import CHECKPOINT_IN_FOLDER
from gcp_mm.input_files import check_input_path

# what a GCP classifier's head holds besides its classifier
_GCP_HEAD = ('layer_reduce', 'neck.')


@MODELS.register_module()
class GCPResNet(ResNet):
    """mmdet ResNet initialised from a GCP-pretrained ImageNet model.

    GCP classification networks run their last stage at stride 1
    (docs/reference.md section 2) while FPN expects C5 at stride 32. Two
    readings (section 7):

    * ``variant='D'``: the pretrained weights with the last-stage
      downsampling restored (stride 2 in the first block of layer4, as in a
      GAP ResNet; the weights have the same shapes);
    * ``variant='M'``: layer4 at stride 1 exactly as pretrained, followed by
      a 2x2 stride-2 max pooling (``ceil_mode``, so C5 has the size the
      stride-2 conv would give).

    Input (B, 3, H, W); output: the stages in ``out_indices`` at strides
    4/8/16/32 (C2..C5). Every mmdet ``ResNet`` option is kept.

    With ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` the weights
    come from a converted mmpretrain checkpoint or a released ``.pth.tar``;
    the GCP head keys are dropped (and logged), anything else that does not
    fit the backbone is an error listing the keys.
    """

    def __init__(self, variant: str = 'M', **kwargs):
        if variant not in ('D', 'M'):
            raise ValueError(f"GCPResNet variant must be 'D' or 'M', got "
                             f'{variant!r}')
        strides = kwargs.pop('strides', (1, 2, 2, 2))
        if variant == 'M':
            strides = tuple(strides[:3]) + (1, )
        super().__init__(strides=strides, **kwargs)
        self.variant = variant
        self.c5_pool = nn.MaxPool2d(2, stride=2, ceil_mode=True) \
            if variant == 'M' else None

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = list(super().forward(x))
        if self.c5_pool is not None and 3 in self.out_indices:
            outs[sorted(self.out_indices).index(3)] = self.c5_pool(outs[-1])
        return tuple(outs)

    def train(self, mode: bool = True) -> 'GCPResNet':
        # mmdet's ResNet.train returns None; nn.Module's contract is self
        super().train(mode)
        return self

    @staticmethod
    def check_pretrained(init_cfg) -> None:
        """Raise ``CheckpointError`` with both fixes unless a
        ``Pretrained`` ``init_cfg`` names GCP ImageNet weights: an ImageNet
        ResNet of mmdet's bases (``torchvision://``, ``open-mmlab://``)
        or a file of a GAP classifier is refused, since GCPResNet is the
        GCP network's backbone (a missing file is left to the caller)."""
        if not (isinstance(init_cfg, dict)
                and init_cfg.get('type') == 'Pretrained'):
            return
        path = str(init_cfg.get('checkpoint'))
        if not path.startswith(REMOTE_CHECKPOINTS):
            if not os.path.isfile(path):
                return
            _, dropped = backbone_state_dict(read_state_dict(path))
            if not dropped or any(k.startswith(_GCP_HEAD) for k in dropped):
                return  # a GCP classifier, or a backbone alone
        raise CheckpointError(
            'convert GCP ImageNet weights (tools/convert_checkpoint.py) and '
            'set model.backbone.init_cfg.checkpoint=PATH, or set '
            'model.backbone.init_cfg=None to train from scratch: '
            f'{path} is a GAP ResNet')

    def init_weights(self):
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        self.check_pretrained(cfg)
        path = check_input_path(
            cfg.get('checkpoint'), 'GCP-pretrained checkpoint', 'convert '
            "the paper's ImageNet weights (tools/convert_checkpoint.py) or "
            'train them (configs/imagenet), then set --cfg-options '
            'model.backbone.init_cfg.checkpoint=PATH',
            folder_fix=CHECKPOINT_IN_FOLDER)
        loaded = load_weights(self, path, f'GCPResNet(depth={self.depth})',
                              part='backbone')
        print_log(
            f'GCPResNet-{self.variant}: loaded {len(loaded.state)} tensors '
            f'from {path}; dropped {len(loaded.dropped)} classification-head '
            f'keys: {", ".join(loaded.dropped)}', logger='current')
        self._is_init = True
