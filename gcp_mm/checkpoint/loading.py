"""Loading weights into a model: the one entry that the detection
backbone, robustness evaluation, the inference API and the tools' checks
share."""
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

import torch
import torch.nn as nn

from .fit import StateDictMismatch, check_state_dict_fits
from .io import CheckpointError, load_checkpoint_file
from .released import (
    backbone_state_dict,
    convert_released_state_dict,
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


def weights_for(target: Mapping[str, torch.Tensor], path: str,
                name: str = 'the model',
                part: Optional[str] = None) -> LoadedWeights:
    """The weights of ``path`` in the names of the ``target`` state dict,
    checked key by key and shape by shape (``StateDictMismatch`` lists what
    does not fit).

    ``part=None``: the file holds the whole classifier, in gcp-mm's names
    or the released files' (converted for the detected architecture).
    ``part='backbone'``: only the ResNet backbone of an ImageNet
    classifier, in torchvision names, its head dropped.
    """
    state = read_state_dict(path)
    if part == 'backbone':
        state, dropped = backbone_state_dict(state)
        check_state_dict_fits(state, target, name, path)
        return LoadedWeights(state, dropped)
    if part is not None:
        raise ValueError(f"part must be None or 'backbone', got {part!r}")
    if is_released_state_dict(state):
        arch, _ = detect_arch(state)
        state = convert_released_state_dict(state, target, arch, source=path)
    else:
        check_state_dict_fits(state, target, name, path)
    return LoadedWeights(state)


def load_weights(model: nn.Module, path: str, name: str = 'the model',
                 part: Optional[str] = None) -> LoadedWeights:
    """Load the checkpoint at ``path`` into ``model`` exactly (every key,
    every shape; see :func:`weights_for`)."""
    loaded = weights_for(model.state_dict(), path, name, part)
    model.load_state_dict(loaded.state, strict=True)
    return loaded


def check_loadable(target: Mapping[str, torch.Tensor], path: str,
                   name: str = 'the model') -> None:
    """``path`` loads into a model with the ``target`` state dict as
    mmengine's loaders load it (by name, no conversion): every key and
    shape fits (``StateDictMismatch`` otherwise). A released file is
    refused with the fix, converting it first."""
    state = read_state_dict(path)
    try:
        check_state_dict_fits(state, target, name, path)
    except StateDictMismatch:
        if is_released_state_dict(state):
            try:
                arch, head = detect_arch(state)
            except CheckpointError:
                raise
            raise CheckpointError(
                f'convert {path} with tools/convert_checkpoint.py first: '
                f'it looks like a released {arch} {head} file (torchvision '
                f'names), which {name} cannot load as it is') from None
        raise
