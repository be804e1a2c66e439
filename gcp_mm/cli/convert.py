"""Converting the paper's released checkpoints into files of the zoo's
models (``tools/convert_checkpoint.py``): the zoo config's model is built
to check every key and shape against."""
import os
from typing import Optional

import torch

from gcp_mm.checkpoint import (
    CheckpointError,
    build_model,
    convert_released_state_dict,
    detect_arch,
    is_released_state_dict,
    read_state_dict,
    zoo_config_name,
)
from gcp_mm.config_file import read_config
from gcp_mm.resources import config_path


def zoo_config(arch: str, head: str) -> str:
    """The path of the zoo config whose model a released (arch, head)
    file fits."""
    return config_path('imagenet', zoo_config_name(arch, head))


def convert_released_checkpoint(src: str,
                                dst: str,
                                arch: Optional[str] = None,
                                head: Optional[str] = None) -> str:
    """Convert a released ``.pth.tar`` into a checkpoint for the model of
    :func:`zoo_config` and save it to ``dst``. Returns the config path.

    ``arch`` / ``head`` are detected from the checkpoint unless given; a
    given value that disagrees with the checkpoint is an error.
    """
    state = read_state_dict(src)
    if state and not is_released_state_dict(state):
        raise CheckpointError(
            f'{src} is already in gcp-mm\'s format (backbone.*, neck.*, '
            'head.* keys), converted or trained: tools/test.py and '
            'tools/infer.py take it as it is, with the config of its model')
    found_arch, found_head = detect_arch(state)
    for name, given, found in (('arch', arch, found_arch),
                               ('head', head, found_head)):
        if given is not None and given != found:
            raise CheckpointError(
                f'{src} holds a {found_arch} {found_head} model, not the '
                f'requested {name} {given!r}')
    config = zoo_config(found_arch, found_head)
    model = build_model(read_config(config))
    converted = convert_released_state_dict(state, model.state_dict(),
                                            found_arch, source=src)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(
                source=os.path.basename(src),
                arch=found_arch,
                head=found_head,
                config=os.path.basename(config))), dst)
    return config
