import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from mmpretrain.models.backbones import ShuffleNetV2
from torch.nn.modules.batchnorm import _BatchNorm


@MODELS.register_module()
class TorchInitShuffleNetV2(ShuffleNetV2):
    """mmpretrain's ``ShuffleNetV2`` initialised as torchvision's.

    The GCP paper's ShuffleNetV2 (torchvision's) sets no initialisation, so
    every conv and BN keeps PyTorch's defaults (docs/reference.md section
    2): convs U(+-1/sqrt(fan_in)), BN weight 1 and bias 0. mmpretrain's
    ``ShuffleNetV2`` instead draws its convs from normals (std 1 / in
    channels per group: std 1.0 for depthwise convs). The architecture,
    arguments, input (B, 3, H, W) and outputs are mmpretrain's.
    """

    def init_weights(self):
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            BaseModule.init_weights(self)
            return
        # mmcv's ConvModule re-draws its conv at construction, so the
        # defaults are restored explicitly.
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, _BatchNorm)):
                module.reset_parameters()
        self._is_init = True
