"""The GCP paper's released ImageNet weights: their format and how they map
onto gcp-mm's models.

The released files (docs/reference.md section 2) are legacy ``torch.save``
dicts ``{'epoch', 'arch', 'state_dict', 'best_acc1', 'optimizer'}`` whose
``'state_dict'`` carries the DataParallel ``module.`` prefix and
torchvision names, plus the GCP head (``layer_reduce`` / ``layer_reduce_bn``
for ResNets, ``dimension_reduction`` for MobileNetV2 / ShuffleNetV2). The
tables below map them to the names of the zoo's mmpretrain models
(``configs/imagenet``); :func:`backbone_state_dict` extracts a ResNet
backbone for detection. Nothing here builds a model: the tables and checks
work on state dicts.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from .fit import check_state_dict_fits
from .io import CheckpointError

ARCHS = ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenet_v2',
         'shufflenet_v2')
HEADS = ('gap', 'gcp', 'gcp128')
_HEAD_OF_DIM = {256: 'gcp', 128: 'gcp128'}
_RESNET_DEPTH = {(False, 2): 18, (False, 6): 34, (True, 6): 50,
                 (True, 23): 101}  # (bottleneck, blocks in layer3)

# The GCP reduction's keys, released -> ours: ResNets name it
# layer_reduce(_bn); MobileNetV2 and ShuffleNetV2 hold Sequential(conv, BN,
# ReLU6) as dimension_reduction.
_GCP_REDUCTION_KEYS = {
    'layer_reduce.': 'neck.reduction.0.',
    'layer_reduce_bn.': 'neck.reduction.1.',
    'dimension_reduction.0.': 'neck.reduction.0.',
    'dimension_reduction.1.': 'neck.reduction.1.',
}


def _resnet_table() -> Dict[str, str]:
    table = {f'{name}.': f'backbone.{name}.'
             for name in ('conv1', 'bn1', 'layer1', 'layer2', 'layer3',
                          'layer4')}
    table['fc.'] = 'head.fc.'
    return table


def _mobilenet_v2_table() -> Dict[str, str]:
    table = {
        'features.0.0.': 'backbone.conv1.conv.',
        'features.0.1.': 'backbone.conv1.bn.',
        'features.18.0.': 'backbone.conv2.conv.',
        'features.18.1.': 'backbone.conv2.bn.',
        'classifier.1.': 'head.fc.',
    }
    # torchvision features.1..17 are mmpretrain's layer1..7 blocks in order
    blocks = [(stage, block)
              for stage, count in enumerate((1, 2, 3, 4, 3, 3, 1), start=1)
              for block in range(count)]
    for index, (stage, block) in enumerate(blocks, start=1):
        ours = f'backbone.layer{stage}.{block}.conv.'
        # expand ratio 1 (features.1) has no expansion ConvBNReLU
        num_conv_bn_act = 1 if index == 1 else 2
        for pos in range(num_conv_bn_act):
            table[f'features.{index}.conv.{pos}.0.'] = f'{ours}{pos}.conv.'
            table[f'features.{index}.conv.{pos}.1.'] = f'{ours}{pos}.bn.'
        # then the projection conv and its BN, one ConvModule in mmpretrain
        pos = num_conv_bn_act
        table[f'features.{index}.conv.{pos}.'] = f'{ours}{pos}.conv.'
        table[f'features.{index}.conv.{pos + 1}.'] = f'{ours}{pos}.bn.'
    return table


def _shufflenet_v2_table() -> Dict[str, str]:
    table = {
        'conv1.0.': 'backbone.conv1.conv.',
        'conv1.1.': 'backbone.conv1.bn.',
        'conv5.0.': 'backbone.layers.3.conv.',
        'conv5.1.': 'backbone.layers.3.bn.',
        'fc.': 'head.fc.',
    }
    branches = {
        '1': {'0': '0.conv', '1': '0.bn', '2': '1.conv', '3': '1.bn'},
        '2': {'0': '0.conv', '1': '0.bn', '3': '1.conv', '4': '1.bn',
              '5': '2.conv', '6': '2.bn'},
    }
    for stage, count in ((2, 4), (3, 8), (4, 4)):
        for block in range(count):
            for branch, positions in branches.items():
                for theirs, ours in positions.items():
                    table[f'stage{stage}.{block}.branch{branch}.{theirs}.'] = (
                        f'backbone.layers.{stage - 2}.{block}.branch{branch}.'
                        f'{ours}.')
    return table


def _key_tables() -> Dict[str, Dict[str, str]]:
    resnet = _resnet_table()
    tables = {arch: resnet for arch in ARCHS if arch.startswith('resnet')}
    tables['mobilenet_v2'] = _mobilenet_v2_table()
    tables['shufflenet_v2'] = _shufflenet_v2_table()
    return {arch: dict(table, **_GCP_REDUCTION_KEYS)
            for arch, table in tables.items()}


_KEY_TABLES = _key_tables()


def released_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a released checkpoint without ``module.``."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError('checkpoint has no state_dict')
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state.items())


# the top-level modules of gcp-mm's (mmpretrain's) classifiers
_OUR_PARTS = ('backbone', 'neck', 'head')


def is_released_state_dict(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` (without ``module.``) is in the released files'
    torchvision names rather than a classifier's ``backbone.`` /
    ``neck.`` / ``head.`` names."""
    return not any(key.split('.')[0] in _OUR_PARTS for key in state)


def detect_arch(state: Mapping[str, torch.Tensor]) -> Tuple[str, str]:
    """(arch, head) of a released state dict, e.g. ('resnet50', 'gcp128').

    ``head`` is 'gap', 'gcp' (256-d) or 'gcp128'.
    """
    head = 'gap'
    for key in ('layer_reduce.weight', 'dimension_reduction.0.weight'):
        if key in state:
            dim = state[key].shape[0]
            if dim not in _HEAD_OF_DIM:
                raise CheckpointError(
                    f'GCP checkpoint reduces to {dim} channels; configs '
                    'exist for 256 and 128')
            head = _HEAD_OF_DIM[dim]
    if 'features.0.0.weight' in state:
        return 'mobilenet_v2', head
    if 'stage2.0.branch1.0.weight' in state:
        return 'shufflenet_v2', head
    if 'layer1.0.conv1.weight' in state:
        blocks = {int(m.group(1))
                  for k in state if (m := re.match(r'layer3\.(\d+)\.', k))}
        bottleneck = 'layer1.0.conv3.weight' in state
        depth = _RESNET_DEPTH.get((bottleneck, len(blocks)))
        if depth is None:
            raise CheckpointError(
                f'ResNet checkpoint with {len(blocks)} blocks in layer3 '
                f"({'bottleneck' if bottleneck else 'basic'} blocks) matches "
                'none of ResNet-18/34/50/101')
        return f'resnet{depth}', head
    raise CheckpointError(
        'checkpoint matches none of ' + ', '.join(ARCHS) +
        f'; first keys: {list(state)[:5]}')


def _map_key(arch: str, key: str) -> Optional[str]:
    """Our name for a released key, or None if the key is unknown."""
    if arch not in _KEY_TABLES:
        raise CheckpointError(
            f'unknown arch {arch!r}; expected one of {ARCHS}')
    table = _KEY_TABLES[arch]
    prefixes = [p for p in table if key.startswith(p)]
    if not prefixes:
        return None
    prefix = max(prefixes, key=len)
    return table[prefix] + key[len(prefix):]


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


def zoo_config_name(arch: str, head: str) -> str:
    """The zoo config (``configs/imagenet``) whose model a released
    (arch, head) file fits; every schedule shares the model, so the LRnorm
    one is named."""
    return f'{arch}_{head}_lrnorm.py'


# Keys of a classification head (released or ours), dropped for detection.
_CLASSIFIER_PREFIXES = ('layer_reduce.', 'layer_reduce_bn.', 'fc.', 'neck.',
                        'head.')


def backbone_state_dict(
    state: Mapping[str, torch.Tensor]
) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """ResNet backbone weights of a GCP (or GAP) ImageNet state dict (see
    :func:`released_state_dict`), in torchvision names (which mmdet's
    ResNet keeps), and the dropped classification-head keys.

    Takes the released files' names (torchvision, ``layer_reduce*``,
    ``fc``) and those of converted files and training checkpoints of the
    zoo configs (``backbone.*``, ``neck.*``, ``head.*``).
    """
    backbone, dropped = OrderedDict(), []
    for key, value in state.items():
        if key.startswith('backbone.'):
            key = key[len('backbone.'):]
        if key.startswith(_CLASSIFIER_PREFIXES):
            dropped.append(key)
        else:
            backbone[key] = value
    return backbone, dropped
