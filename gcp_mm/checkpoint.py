"""Conversion of the GCP paper's released ImageNet checkpoints.

The released files (REFERENCE.md section 2) are ``torch.save`` dicts whose
``'state_dict'`` carries the DataParallel ``module.`` prefix and torchvision
names, plus the GCP head (``layer_reduce``/``layer_reduce_bn`` for ResNets,
``dimension_reduction`` for MobileNetV2 / ShuffleNetV2). This module maps
them to the names of our mmpretrain models (``configs/imagenet``):

* ResNet: ``backbone.`` + the torchvision name (mmpretrain keeps ``bn1`` ...,
  ``downsample.0/1``); ``layer_reduce`` -> ``neck.reduction.0``,
  ``layer_reduce_bn`` -> ``neck.reduction.1``, ``fc`` -> ``head.fc``.
* MobileNetV2: ``features.0`` -> ``backbone.conv1``, ``features.1..17`` ->
  ``backbone.layer1..7`` blocks, ``features.18`` -> ``backbone.conv2``,
  ``classifier.1`` -> ``head.fc``.
* ShuffleNetV2: ``conv1`` -> ``backbone.conv1``, ``stageS`` ->
  ``backbone.layers.(S-2)``, ``conv5`` -> ``backbone.layers.3``,
  ``fc`` -> ``head.fc``.
* ``dimension_reduction.0/1`` (conv, BN; index 2 is the parameter-free
  ReLU6) -> ``neck.reduction.0/1``.
"""
import os
import pickle
import re
import zipfile
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch

# MobileNetV2 blocks per stage (torchvision features.1..17 in order)
_MBV2_STAGE_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
_MBV2_BLOCKS = [(stage + 1, block)
                for stage, count in enumerate(_MBV2_STAGE_BLOCKS)
                for block in range(count)]
_SHUFFLE_BRANCH1 = {'0': '0.conv', '1': '0.bn', '2': '1.conv', '3': '1.bn'}
_SHUFFLE_BRANCH2 = {
    '0': '0.conv', '1': '0.bn', '3': '1.conv', '4': '1.bn', '5': '2.conv',
    '6': '2.bn'
}
ARCHS = ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenet_v2',
         'shufflenet_v2')


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def check_checkpoint_file(path: str) -> None:
    """Fail, naming the file, unless it exists and is a complete
    ``torch.save`` archive (a zip file; a truncated one has no central
    directory)."""
    if not os.path.isfile(path):
        raise CheckpointError(f'checkpoint file not found: {path}')
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f'cannot read checkpoint {path}: the file is corrupt, truncated '
            'or not a PyTorch checkpoint')


# What mmengine's training checkpoints pickle besides tensors (the message
# hub's HistoryBuffer of numpy arrays).
_MMENGINE_CHECKPOINT_GLOBALS = frozenset({
    'mmengine.logging.history_buffer.HistoryBuffer', 'numpy.dtype',
    'numpy.ndarray', 'numpy._core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar', 'numpy.core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar', 'builtins.getattr'
})


def load_checkpoint_file(path: str) -> dict:
    """``torch.load`` with errors that name the file.

    Tensors-only loading (``weights_only=True``) is used, except for
    checkpoints whose only other objects are those of mmengine's training
    checkpoints; those are loaded as mmengine itself loads them.
    """
    check_checkpoint_file(path)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        extra = set(torch.serialization.get_unsafe_globals_in_checkpoint(
            path))
        if not extra or not extra <= _MMENGINE_CHECKPOINT_GLOBALS:
            raise CheckpointError(
                f'cannot read checkpoint {path}: it pickles objects other '
                f'than tensors ({", ".join(sorted(extra)) or err}); '
                'save its state_dict alone') from err
        return torch.load(path, map_location='cpu', weights_only=False)
    except Exception as err:  # torch raises many types for bad files
        raise CheckpointError(
            f'cannot read checkpoint {path}: the file is corrupt, truncated '
            f'or not a PyTorch checkpoint ({type(err).__name__}: {err})'
        ) from err


def released_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a released checkpoint without ``module.``."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError('checkpoint has no state_dict')
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state.items())


def detect_arch(state: Mapping[str, torch.Tensor]) -> Tuple[str, str]:
    """(arch, head) of a released state dict, e.g. ('resnet50', 'gcp128').

    ``head`` is 'gap', 'gcp' (256-d) or 'gcp128'.
    """
    if 'layer_reduce.weight' in state:
        reduce_key = 'layer_reduce.weight'
    elif 'dimension_reduction.0.weight' in state:
        reduce_key = 'dimension_reduction.0.weight'
    else:
        reduce_key = None
    if reduce_key is None:
        head = 'gap'
    else:
        dim = state[reduce_key].shape[0]
        head = {256: 'gcp', 128: 'gcp128'}.get(dim)
        if head is None:
            raise CheckpointError(
                f'GCP checkpoint reduces to {dim} channels; configs exist '
                'for 256 and 128')

    if 'features.0.0.weight' in state:
        return 'mobilenet_v2', head
    if 'stage2.0.branch1.0.weight' in state:
        return 'shufflenet_v2', head
    if 'layer1.0.conv1.weight' in state:
        blocks = {int(m.group(1))
                  for k in state if (m := re.match(r'layer3\.(\d+)\.', k))}
        bottleneck = 'layer1.0.conv3.weight' in state
        depth = {(False, 2): 18, (False, 6): 34, (True, 6): 50,
                 (True, 23): 101}.get((bottleneck, len(blocks)))
        if depth is None:
            raise CheckpointError(
                'ResNet checkpoint with '
                f'{len(blocks)} blocks in layer3 '
                f"({'bottleneck' if bottleneck else 'basic'} blocks) matches "
                'none of ResNet-18/34/50/101')
        return f'resnet{depth}', head
    raise CheckpointError(
        'checkpoint matches none of ' + ', '.join(ARCHS) +
        f'; first keys: {list(state)[:5]}')


def _map_key(arch: str, key: str) -> Optional[str]:
    """Our name for a released key, or None if the key is unknown."""
    for old, new in (('layer_reduce_bn.', 'neck.reduction.1.'),
                     ('layer_reduce.', 'neck.reduction.0.'),
                     ('dimension_reduction.0.', 'neck.reduction.0.'),
                     ('dimension_reduction.1.', 'neck.reduction.1.')):
        if key.startswith(old):
            return new + key[len(old):]
    if arch.startswith('resnet'):
        if key.startswith('fc.'):
            return 'head.' + key
        if re.match(r'(conv1|bn1|layer[1-4])\.', key):
            return 'backbone.' + key
        return None
    if arch == 'mobilenet_v2':
        if key.startswith('classifier.1.'):
            return 'head.fc.' + key[len('classifier.1.'):]
        match = re.match(r'features\.(\d+)\.(.*)', key)
        if not match:
            return None
        index, rest = int(match.group(1)), match.group(2)
        conv_bn = {'0.': 'conv.', '1.': 'bn.'}
        if index in (0, 18):
            layer = 'conv1' if index == 0 else 'conv2'
            for old, new in conv_bn.items():
                if rest.startswith(old):
                    return f'backbone.{layer}.{new}{rest[2:]}'
            return None
        if not 1 <= index <= len(_MBV2_BLOCKS):
            return None
        stage, block = _MBV2_BLOCKS[index - 1]
        sub = re.match(r'conv\.(\d+)\.(.*)', rest)
        if not sub:
            return None
        # expand ratio 1 (features.1) has no expansion ConvBNReLU
        num_conv_bn_act = 1 if index == 1 else 2
        pos, tail = int(sub.group(1)), sub.group(2)
        prefix = f'backbone.layer{stage}.{block}.conv.'
        if pos < num_conv_bn_act:  # ConvBNReLU: tail is '0.x' or '1.x'
            for old, new in conv_bn.items():
                if tail.startswith(old):
                    return f'{prefix}{pos}.{new}{tail[2:]}'
            return None
        if pos == num_conv_bn_act:  # projection conv
            return f'{prefix}{pos}.conv.{tail}'
        if pos == num_conv_bn_act + 1:  # projection BN
            return f'{prefix}{pos - 1}.bn.{tail}'
        return None
    if arch == 'shufflenet_v2':
        if key.startswith('fc.'):
            return 'head.' + key
        for old, new in (('conv1.0.', 'backbone.conv1.conv.'),
                         ('conv1.1.', 'backbone.conv1.bn.'),
                         ('conv5.0.', 'backbone.layers.3.conv.'),
                         ('conv5.1.', 'backbone.layers.3.bn.')):
            if key.startswith(old):
                return new + key[len(old):]
        match = re.match(r'stage([2-4])\.(\d+)\.branch([12])\.(\d+)\.(.*)',
                         key)
        if not match:
            return None
        stage, block, branch, pos, tail = match.groups()
        table = _SHUFFLE_BRANCH1 if branch == '1' else _SHUFFLE_BRANCH2
        if pos not in table:
            return None
        return (f'backbone.layers.{int(stage) - 2}.{block}.branch{branch}.'
                f'{table[pos]}.{tail}')
    raise CheckpointError(f'unknown arch {arch!r}; expected one of {ARCHS}')


def check_state_dict_fits(state: Mapping[str, torch.Tensor],
                          target: Mapping[str, torch.Tensor], model: str,
                          source: str, unknown: Sequence[str] = ()) -> None:
    """Raise ``CheckpointError`` listing every key of ``state`` that the
    ``target`` state dict lacks (plus ``unknown``, already found so), every
    key of ``target`` that ``state`` lacks, and every shape mismatch."""
    unknown = list(unknown) + [k for k in state if k not in target]
    missing = [k for k in target if k not in state]
    mis_shaped = [
        f'{k}: {tuple(v.shape)} in {source}, {tuple(target[k].shape)} in '
        'the model' for k, v in state.items()
        if k in target and tuple(v.shape) != tuple(target[k].shape)
    ]
    problems = [
        f'{title} ({len(keys)}): ' + ', '.join(keys)
        for title, keys in (('unknown keys', unknown), ('missing keys',
                                                        missing),
                            ('shape mismatches', mis_shaped)) if keys
    ]
    if problems:
        raise CheckpointError(f'{source} does not fit {model}: ' +
                              '; '.join(problems))


def convert_released_state_dict(
        state: Mapping[str, torch.Tensor],
        target: Mapping[str, torch.Tensor],
        arch: str,
        source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """Rename a released state dict for ``arch`` and check it against the
    ``target`` state dict (names and shapes) of the model it is for.

    Raises:
        CheckpointError: listing every unknown, missing or mis-shaped key.
    """
    converted, unknown = OrderedDict(), []
    for key, value in state.items():
        new_key = _map_key(arch, key)
        if new_key is None or new_key not in target:
            unknown.append(key if new_key is None else f'{key} -> {new_key}')
        else:
            converted[new_key] = value
    check_state_dict_fits(converted, target, arch, source, unknown)
    return converted


def convert_released_checkpoint(src: str,
                                dst: str,
                                config_dir: str,
                                arch: Optional[str] = None,
                                head: Optional[str] = None) -> str:
    """Convert a released ``.pth.tar`` into a checkpoint for the config
    ``{config_dir}/{arch}_{head}_lrnorm.py`` (any schedule has the same
    model) and save it to ``dst``. Returns the config path.

    ``arch`` / ``head`` are detected from the checkpoint unless given; a
    given value that disagrees with the checkpoint is an error.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import gcp_mm  # noqa: F401  registers the neck and head

    state = released_state_dict(load_checkpoint_file(src))
    found_arch, found_head = detect_arch(state)
    for name, given, found in (('arch', arch, found_arch),
                               ('head', head, found_head)):
        if given is not None and given != found:
            raise CheckpointError(
                f'{src} holds a {found_arch} {found_head} model, not the '
                f'requested {name} {given!r}')
    config = os.path.join(config_dir, f'{found_arch}_{found_head}_lrnorm.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(config).model)
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
