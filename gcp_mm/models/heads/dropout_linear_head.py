import torch.nn as nn
from mmengine.registry import MODELS
from mmpretrain.models.heads import LinearClsHead


@MODELS.register_module()
class DropoutLinearClsHead(LinearClsHead):
    """``LinearClsHead`` with dropout before the classifier.

    The reference MobileNetV2 networks, GAP and GCP alike, classify with
    ``Dropout(0.2) + Linear`` (torchvision's ``classifier``); mmpretrain's
    ``LinearClsHead`` has no dropout.

    Input: (B, in_channels) features, or a tuple whose last item is.
    Output: (B, num_classes) logits.

    Args:
        dropout_rate (float): probability of zeroing a feature in training.
            Defaults to 0.2.
        **kwargs: the arguments of ``LinearClsHead``.
    """

    def __init__(self, *args, dropout_rate: float = 0.2, **kwargs):
        super().__init__(*args, **kwargs)
        if not 0 <= dropout_rate < 1:
            raise ValueError(
                f'dropout_rate must be in [0, 1), got {dropout_rate}')
        self.dropout = nn.Dropout(dropout_rate)

    def pre_logits(self, feats):
        return self.dropout(super().pre_logits(feats))
