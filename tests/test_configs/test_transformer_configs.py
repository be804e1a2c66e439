"""ConvNeXt-T, Swin-T and DeiT-S classifiers with the GCP neck
(configs/transformers) build with every normalisation and train on tiny
random input; the DropCov ResNet-50 config builds the DropCov neck."""
import copy
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import gcp_mm  # noqa: F401
from gcp_mm.models import DropCovPooling, GlobalCovariancePooling
from gcp_mm.ops import NORMALIZATIONS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
# image size each backbone accepts, and what it must be told about it
SMALL = {
    'convnext_tiny_gcp_adamw': (64, {}),  # 2x2 last map
    # 2x2 last map, smaller than the 7x7 window: padded
    'swin_tiny_gcp_adamw': (64, dict(img_size=64, pad_small_map=True)),
    'deit_small_gcp_adamw': (64, dict(img_size=64)),  # 16 patch tokens
}


def load(folder, name):
    return Config.fromfile(os.path.join(ROOT, 'configs', folder,
                                        name + '.py'))


def build_small(cfg, size, backbone_options, num_classes=5):
    from mmpretrain.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(backbone_options)
    model_cfg.head.num_classes = num_classes
    model_cfg.data_preprocessor = dict(cfg.data_preprocessor,
                                       num_classes=num_classes)
    # init_weights() is left out: mmengine logs every parameter, seconds
    return MODELS.build(model_cfg)


def batch(size, num=2, num_classes=5):
    from mmpretrain.structures import DataSample
    return dict(
        inputs=[torch.rand(3, size, size) * 255 for _ in range(num)],
        data_samples=[DataSample().set_gt_label(i % num_classes)
                      for i in range(num)])


@pytest.mark.parametrize('normalization', NORMALIZATIONS)
@pytest.mark.parametrize('name', sorted(SMALL))
def test_trains_with_each_normalization(name, normalization):
    cfg = load('transformers', name)
    dim = cfg.model.neck.reduced_channels
    extra = cfg.model.neck.in_channels if cfg.model.neck.get(
        'concat_cls_token') else 0
    assert cfg.model.head.in_channels == dim * (dim + 1) // 2 + extra
    cfg.model.neck.normalization = normalization
    size, options = SMALL[name]
    model = build_small(cfg, size, options)
    assert isinstance(model.neck, GlobalCovariancePooling)
    assert model.neck.normalization == normalization
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    watched = {
        'reduction': model.neck.reduction[0].weight,
        'head': model.head.fc.weight,
        'backbone': next(model.backbone.parameters()),
    }
    before = {k: p.detach().clone() for k, p in watched.items()}
    torch.manual_seed(0)
    for _ in range(2):
        losses = model.train_step(batch(size), optim)
        assert torch.isfinite(losses['loss'])
    for key, param in watched.items():
        assert not torch.equal(param, before[key]), key


def test_dropcov_resnet50_config():
    cfg = load('dropcov', 'resnet50_dropcov_lrnorm')
    assert cfg.model.head.in_channels == 256 * 257 // 2
    assert cfg.param_scheduler.milestones == [30, 60, 90]
    cfg.model.backbone.depth = 18  # same neck, smaller test
    cfg.model.neck.in_channels = 512
    from mmpretrain.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.head.num_classes = 5
    model = MODELS.build(model_cfg)
    assert isinstance(model.neck, DropCovPooling)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    eca = model.neck.eca.weight.detach().clone()
    losses = model.train_step(batch(64), optim)
    assert torch.isfinite(losses['loss'])
    assert not torch.equal(model.neck.eca.weight, eca)
