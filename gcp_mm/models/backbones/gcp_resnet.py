from typing import Tuple

import torch
import torch.nn as nn
from mmdet.models.backbones import ResNet
from mmengine.logging import print_log
from mmengine.registry import MODELS

from gcp_mm.checkpoint import check_gcp_backbone_init, load_weights
from gcp_mm.checkpoint.io import CHECKPOINT_IN_FOLDER
from gcp_mm.input_files import check_input_path


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
    come from a GCP ImageNet classifier in gcp-mm's names (a released
    ``.pth.tar`` converted by ``tools/convert_checkpoint.py``, or a training
    checkpoint of ``configs/imagenet``; a released file as it is is refused
    with that fix); the GCP head keys are dropped (and logged), anything
    else that does not fit the backbone is an error listing the keys
    (``gcp_mm.checkpoint.check_gcp_backbone_init`` and ``load_weights``).
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

    def init_weights(self):
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        check_gcp_backbone_init(cfg, f'GCPResNet(depth={self.depth})')
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
