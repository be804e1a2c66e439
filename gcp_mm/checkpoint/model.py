"""A config's model, built as mmengine's Runner builds it, with a
checkpoint loaded under the one policy of :mod:`.loading`: the builder
that inference, robustness evaluation, export, checkpoint conversion and
the tools' checks share."""
from typing import Optional

import torch.nn as nn
from mmengine.config import Config, ConfigDict

from .loading import check_loadable, load_weights


def checkpoint_model_config(cfg: Config) -> ConfigDict:
    """The config's model; inside a test-time augmentation wrapper
    (``tools/test.py --tta``), the model it wraps, whose weights a
    checkpoint holds."""
    model = cfg.get('model') or ConfigDict()
    if 'module' in model and 'backbone' not in model:
        return model['module']
    return model


def build_model(cfg: Config, part: Optional[str] = None) -> nn.Module:
    """The config's model (:func:`checkpoint_model_config`) with the config's
    ``data_preprocessor``, as mmengine's Runner and mmpretrain's
    ``get_model`` build it, in the config's ``default_scope`` (mmpretrain
    when it names none); ``part`` ('backbone', 'neck', ...) builds that
    part alone. Its weights are those of its initialisation: no
    ``init_weights()``, no checkpoint."""
    from mmengine.registry import MODELS, DefaultScope
    model_cfg = checkpoint_model_config(cfg).copy()
    if part is not None:
        model_cfg = model_cfg[part]
    elif cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmpretrain'):
        return MODELS.build(model_cfg)


def check_model_loads(cfg: Config, checkpoint: str,
                      name: Optional[str] = None) -> None:
    """Raise ``CheckpointError`` unless ``checkpoint`` loads into the
    config's model exactly, under the policy of
    :func:`.loading.check_loadable` (a released file is refused, with the
    conversion that fixes it)."""
    check_loadable(build_model(cfg).state_dict(), checkpoint,
                   name or _model_name(cfg))


def load_model(cfg: Config, checkpoint: Optional[str] = None,
               name: Optional[str] = None) -> nn.Module:
    """The config's model (:func:`build_model`) in eval mode, with the
    weights of ``checkpoint`` when one is given, which must fit it exactly
    (:func:`.loading.load_weights`: ``CheckpointError`` otherwise)."""
    model = build_model(cfg)
    if checkpoint is not None:
        load_weights(model, checkpoint, name or _model_name(cfg))
    return model.eval()


def _model_name(cfg: Config) -> str:
    import os.path as osp
    return (f'the model of {osp.basename(cfg.filename)}'
            if cfg.filename else 'the model of the config')
