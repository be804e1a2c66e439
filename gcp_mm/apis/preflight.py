"""Checks run before anything is built, so that mistakes which would fail
late (after datasets are indexed and models built) or silently (wrong
numbers with exit status 0) end at once with a ``UsageError`` that names
the problem and the fix."""
import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from gcp_mm.checkpoint import (
    CheckpointError,
    check_checkpoint_file,
    check_state_dict_fits,
    load_checkpoint_file,
)

from .cli import UsageError
from .image_size import pipeline_input_size

# checkpoints that mmengine fetches itself
_REMOTE = ('torchvision://', 'open-mmlab://', 'mmcls://', 'http://',
           'https://')


def _dataset_paths(dataset: dict) -> Iterator[Tuple[str, str]]:
    """(path, what) pairs a dataset config will read."""
    if 'dataset' in dataset:  # wrappers such as RepeatDataset
        yield from _dataset_paths(dataset['dataset'])
        return
    for inner in dataset.get('datasets') or []:  # ConcatDataset
        yield from _dataset_paths(inner)
    root = dataset.get('data_root') or ''
    ann_file = dataset.get('ann_file')
    if ann_file:
        yield osp.join(root, ann_file), 'ann_file'
    prefix = dataset.get('data_prefix')
    if isinstance(prefix, dict):
        prefix = prefix.get('img') or prefix.get('img_path')
    if prefix:
        yield osp.join(root, prefix), 'data_prefix'
    elif root:
        yield root, 'data_root'


_EVALUATORS = {'train_dataloader': None, 'val_dataloader': 'val_evaluator',
               'test_dataloader': 'test_evaluator'}


def check_data_paths(cfg: Config, loaders: Sequence[str] = (
        'train_dataloader', 'val_dataloader')) -> None:
    """Every data root, image folder and annotation file that the
    ``loaders`` and their evaluators read exists."""
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not loader_cfg or 'dataset' not in loader_cfg:
            continue
        for path, what in _dataset_paths(loader_cfg['dataset']):
            if not osp.exists(path):
                raise UsageError(
                    f'{loader}: {what} not found: {path}. Put the data '
                    f'there or set {loader}.dataset.data_root (and '
                    f'{what}), e.g. --cfg-options {loader}.dataset.'
                    'data_root=/path/to/data/')
        evaluators = cfg.get(_EVALUATORS.get(loader) or '') or []
        for evaluator in evaluators if isinstance(evaluators,
                                                  list) else [evaluators]:
            ann_file = evaluator.get('ann_file')
            if ann_file and not osp.isfile(ann_file):
                raise UsageError(
                    f'{_EVALUATORS[loader]}: ann_file not found: {ann_file}; '
                    f'set {_EVALUATORS[loader]}.ann_file')


def check_pretrained_backbone(cfg: Config) -> None:
    """The backbone's ``Pretrained`` checkpoint and ``load_from`` exist and
    are PyTorch checkpoints (local files; mmengine fetches URLs)."""
    backbone = (cfg.get('model') or {}).get('backbone') or {}
    init = backbone.get('init_cfg')
    sources = []
    if isinstance(init, dict) and init.get('type') == 'Pretrained':
        sources.append(('model.backbone.init_cfg.checkpoint',
                        init.get('checkpoint')))
    if cfg.get('load_from') and not cfg.get('resume'):
        sources.append(('load_from', cfg.load_from))
    for key, path in sources:
        if not path or str(path).startswith(_REMOTE):
            continue
        if not osp.isfile(path):
            hint = ('convert the released ImageNet weights with '
                    'tools/convert_checkpoint.py (or train them with '
                    'configs/imagenet)' if 'init_cfg' in key else
                    'check the path')
            raise UsageError(f'{key}: checkpoint not found: {path}; {hint}, '
                             f'or set --cfg-options {key}=PATH')
        try:
            check_checkpoint_file(path)
        except CheckpointError as err:
            raise UsageError(f'{key}: {err}') from err


def _build_model(cfg: Config, part: Optional[str] = None):
    from mmengine.registry import MODELS
    model_cfg = cfg.model if part is None else cfg.model[part]
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return MODELS.build(model_cfg)


def check_gcp_model_config(cfg: Config, check_spatial: bool = True) -> None:
    """The GCP neck and the head agree, and the backbone leaves more than
    one position at the configured input size."""
    model = cfg.get('model') or {}
    neck = model.get('neck') or {}
    if neck.get('type') != 'GlobalCovariancePooling':
        return
    in_channels = neck.get('in_channels')
    reduced = neck.get('reduced_channels', 256)
    if reduced is not None and in_channels is not None \
            and reduced > in_channels:
        raise UsageError(
            f'model.neck.reduced_channels={reduced} is larger than '
            f'model.neck.in_channels={in_channels}: the reduction would '
            'widen the features; set reduced_channels <= in_channels (or '
            'None to skip the reduction)')
    dim = in_channels if reduced is None else reduced
    head = model.get('head') or {}
    expected = dim * (dim + 1) // 2 if dim else None
    if expected and head.get('in_channels') not in (None, expected):
        raise UsageError(
            f"model.head.in_channels={head['in_channels']} but "
            f'GlobalCovariancePooling(reduced_channels={dim}) outputs '
            f'{dim}*({dim}+1)/2 = {expected} features: set '
            f'model.head.in_channels={expected}')
    size = None
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        size = pipeline_input_size(dataset.get('pipeline'))
        if size:
            break
    if not check_spatial or size is None or 'backbone' not in model:
        return
    backbone = _build_model(cfg, 'backbone')
    backbone.eval()  # OpenMMLab backbones' train() returns None
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, size, size))
    height, width = feats[-1].shape[-2:]
    if height * width < 2:
        raise UsageError(
            f'the backbone reduces a {size}x{size} input to a {height}x'
            f'{width} map, and covariance pooling of a single position is '
            'zero: use larger images or keep more resolution in the last '
            'stage (e.g. ResNet strides=(1, 2, 2, 1))')


def check_checkpoint_fits(cfg: Config, checkpoint: str) -> None:
    """Every key and shape of ``checkpoint`` fits the config's model, as
    ``tools/test.py`` needs: a partial load evaluates a half-random
    network and prints a meaningless accuracy."""
    from gcp_mm.released_weights import detect_arch, released_state_dict
    try:
        state = released_state_dict(load_checkpoint_file(checkpoint))
    except CheckpointError as err:
        raise UsageError(str(err)) from err
    target = _build_model(cfg).state_dict()
    try:
        check_state_dict_fits(state, target, f'the model of {cfg.filename}',
                              checkpoint)
    except CheckpointError as err:
        try:
            arch, head = detect_arch(state)
            released = not any(k.startswith('backbone.') for k in state)
        except CheckpointError:
            released = False
        if released:
            fix = (f'it looks like a released {arch} {head} file: convert '
                   'it with tools/convert_checkpoint.py first')
        else:
            fix = ('wrong config or checkpoint? (add --partial to load '
                   'the keys that fit anyway)')
        raise UsageError(f'{err}. {fix}') from err


def check_resume(cfg: Config) -> Optional[str]:
    """For ``resume=True``: an explicit ``load_from`` must be a readable
    checkpoint; without one, the checkpoint that mmengine will resume from
    (the work dir's latest), or None when training starts from scratch."""
    if not cfg.get('resume'):
        return None
    if cfg.get('load_from'):
        try:
            check_checkpoint_file(cfg.load_from)
        except CheckpointError as err:
            raise UsageError(f'--resume: {err}') from err
        return cfg.load_from
    from mmengine.runner import find_latest_checkpoint
    return find_latest_checkpoint(cfg.work_dir)
