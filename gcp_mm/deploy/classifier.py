"""An mmpretrain classifier as the one-tensor module ONNX takes, and a
photo prepared as its test pipeline and data preprocessor prepare it."""
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn


class ClassifierLogits(nn.Module):
    """``model(inputs, mode='tensor')``: normalised images (B, 3, H, W) to
    class scores before softmax. Preprocessing (mean/std) stays outside,
    as in mmdeploy's classification exports."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs, mode='tensor')


def build_classifier(cfg: Config, checkpoint: str = None) -> nn.Module:
    """The config's model in eval mode, with ``checkpoint``'s weights
    (which must fit it exactly) when given
    (``gcp_mm.checkpoint.load_model``)."""
    from gcp_mm.checkpoint import load_model
    return load_model(cfg, checkpoint, 'the model of the config')


def pipeline_input(cfg: Config, model: nn.Module,
                   image_path: str) -> torch.Tensor:
    """(1, 3, H, W) float input: the config's test pipeline, then the
    model's data preprocessor (mean/std, BGR to RGB)."""
    from mmcv.transforms import Compose
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        packed = pipeline(dict(img_path=image_path))
    batch = model.data_preprocessor(
        dict(inputs=[packed['inputs']],
             data_samples=[packed['data_samples']]), False)
    return batch['inputs']
