"""Checks of GCP model configs that would otherwise fail late or
silently (run by tools/train.py and tools/test.py before building)."""
from typing import Optional

import torch
from mmengine.config import Config


def _input_size(cfg: Config) -> Optional[int]:
    """The crop size of the test (or train) pipeline, if it has one."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        for step in dataset.get('pipeline') or []:
            if step.get('type') == 'CenterCrop':
                return int(step['crop_size'])
            if step.get('type') == 'RandomResizedCrop':
                return int(step['scale'])
    return None


def check_gcp_model_config(cfg: Config, check_spatial: bool = True) -> None:
    """Raise ``ValueError`` saying what to change when the GCP neck and the
    head disagree, or when the backbone leaves a 1x1 map at the configured
    input size."""
    model = cfg.get('model') or {}
    neck = model.get('neck') or {}
    if neck.get('type') != 'GlobalCovariancePooling':
        return
    in_channels = neck.get('in_channels')
    reduced = neck.get('reduced_channels', 256)
    if reduced is not None and in_channels is not None \
            and reduced > in_channels:
        raise ValueError(
            f'model.neck.reduced_channels={reduced} is larger than '
            f'model.neck.in_channels={in_channels}: the reduction would '
            'widen the features; set reduced_channels <= in_channels (or '
            'None to skip the reduction)')
    dim = in_channels if reduced is None else reduced
    head = model.get('head') or {}
    expected = dim * (dim + 1) // 2 if dim else None
    if expected and head.get('in_channels') not in (None, expected):
        raise ValueError(
            f"model.head.in_channels={head['in_channels']} but "
            f'GlobalCovariancePooling(reduced_channels={dim}) outputs '
            f'{dim}*({dim}+1)/2 = {expected} features: set '
            f'model.head.in_channels={expected}')
    size = _input_size(cfg)
    if not check_spatial or size is None or 'backbone' not in model:
        return
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    backbone = MODELS.build(model['backbone'])
    backbone.eval()  # OpenMMLab backbones' train() returns None
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, size, size))
    height, width = feats[-1].shape[-2:]
    if height * width < 2:
        raise ValueError(
            f'the backbone reduces a {size}x{size} input to a {height}x'
            f'{width} map, and covariance pooling of a single position is '
            'zero: use larger images or keep more resolution in the last '
            'stage (e.g. ResNet strides=(1, 2, 2, 1))')
