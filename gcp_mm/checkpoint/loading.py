"""Loading weights into a model under ONE policy for the paper's released
files: a released ``.pth.tar`` (torchvision names) is converted first, by
``tools/convert_checkpoint.py``, and every loader refuses it as it is, with
that fix. mmengine's own loaders (``load_from``, ``Pretrained`` inits, the
model hub's ``pretrained=``) load by name and cannot convert, so only this
policy holds for every entry point. The detection backbone, robustness
evaluation, the inference API, export and the tools' checks load through
here (and :mod:`.model`)."""
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

import torch
import torch.nn as nn

from .fit import StateDictMismatch, check_state_dict_fits
from .io import CheckpointError, load_checkpoint_file
from .released import (
    backbone_state_dict,
    detect_arch,
    is_released_state_dict,
    released_state_dict,
)


@dataclass
class LoadedWeights:
    """What :func:`load_weights` did: the state dict it loaded and the
    keys of the file it left out on purpose (a classification head when
    only a backbone is loaded)."""
    state: Dict[str, torch.Tensor]
    dropped: List[str] = field(default_factory=list)


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint file of any supported kind
    (mmengine checkpoint, converted file, bare state dict, released
    ``.pth.tar``), without DataParallel's ``module.`` prefix."""
    return released_state_dict(load_checkpoint_file(path))


def refuse_released(state: Mapping[str, torch.Tensor], path: str,
                    name: str = 'the model') -> None:
    """The policy: raise ``CheckpointError`` with the conversion to run
    if ``state`` (a file's state dict, :func:`read_state_dict`) is a
    released classifier in torchvision names."""
    if not is_released_state_dict(state):
        return
    arch, head = detect_arch(state)  # an unknown layout: its own error
    raise CheckpointError(
        f'convert {path} with tools/convert_checkpoint.py first: it looks '
        f'like a released {arch} {head} file (torchvision names), which '
        f'{name} cannot load as it is')


def weights_for(target: Mapping[str, torch.Tensor], path: str,
                name: str = 'the model',
                part: Optional[str] = None) -> LoadedWeights:
    """The weights of ``path`` for the ``target`` state dict, checked key
    by key and shape by shape (``StateDictMismatch`` lists what does not
    fit); a released file is refused (:func:`refuse_released`).

    ``part=None``: the file holds the whole model in its names (a training
    checkpoint of its config, or a converted released file).
    ``part='backbone'``: only the ResNet backbone of an ImageNet
    classifier, in torchvision names (mmdet's ResNet keeps them), its
    classification head dropped; the file is such a classifier in
    gcp-mm's names, or a backbone alone.
    """
    state = read_state_dict(path)
    if part is None:
        check_loadable(target, path, name, state)
        return LoadedWeights(state)
    if part != 'backbone':
        raise ValueError(f"part must be None or 'backbone', got {part!r}")
    backbone, dropped = backbone_state_dict(state)
    if dropped:  # a classifier: ours, never a released one
        refuse_released(state, path, name)
    check_state_dict_fits(backbone, target, name, path)
    return LoadedWeights(backbone, dropped)


def load_weights(model: nn.Module, path: str, name: str = 'the model',
                 part: Optional[str] = None) -> LoadedWeights:
    """Load the checkpoint at ``path`` into ``model`` exactly (every key,
    every shape; see :func:`weights_for`)."""
    loaded = weights_for(model.state_dict(), path, name, part)
    model.load_state_dict(loaded.state, strict=True)
    return loaded


def check_loadable(target: Mapping[str, torch.Tensor], path: str,
                   name: str = 'the model',
                   state: Optional[Mapping[str, torch.Tensor]] = None
                   ) -> None:
    """``path`` loads into a model with the ``target`` state dict as
    mmengine's loaders load it (by name): every key and shape fits
    (``StateDictMismatch`` otherwise; a released file is refused with the
    fix, converting it first, :func:`refuse_released`). ``state``: the
    file's state dict, when it has been read already."""
    state = read_state_dict(path) if state is None else state
    try:
        check_state_dict_fits(state, target, name, path)
    except StateDictMismatch:
        refuse_released(state, path, name)
        raise
