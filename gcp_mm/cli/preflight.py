"""Checks run before anything is built, so that mistakes which would fail
late (after datasets are indexed and models built) or silently (wrong
numbers with exit status 0) end at once with an ``InputError`` (a
``UsageError``, or the plugin core's own kind, e.g. ``InputFileError`` for
a missing file) that names the problem and the fix."""
import logging
import os
import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from gcp_mm.checkpoint import (
    REMOTE_CHECKPOINTS,
    CheckpointError,
    StateDictMismatch,
    build_model,
    check_gcp_backbone_init,
    check_model_loads,
    check_state_dict_fits,
    checkpoint_format,
    checkpoint_model_config,
    describe_kept,
    detect_arch,
    is_released_state_dict,
    read_state_dict,
    refuse_released,
)
from gcp_mm.checkpoint.io import CHECKPOINT_IN_FOLDER
from gcp_mm.datasets.bad_images import short_path
from gcp_mm.datasets.config_datasets import (
    class_folder_roots,
    dataset_paths,
    loader_dataset,
    named_leaf_datasets,
)
from gcp_mm.datasets.data_check import empty_class_folder_problem
from gcp_mm.datasets.folder_scan import (
    FolderScan,
    SymlinkLoopError,
    describe_others,
    scan_folder,
)
from gcp_mm.input_files import check_input_path
from gcp_mm.models.necks import check_backbone_config, check_backbone_output
from gcp_mm.models.necks.inputs import check_backbone_fits_neck

from .config_types import check_config_types, check_runner_values
from .errors import UsageError
from .image_size import pipeline_input_size

# What mmpretrain's fine-grained data set classes read below data_root, by
# split, and how the folder looks (their docstrings).
_LAYOUTS = {
    'CUB': (lambda split: ['images', 'images.txt', 'image_class_labels.txt',
                           'train_test_split.txt'],
            'train', 'the CUB_200_2011 folder of the official archive '
            '(images/, images.txt, image_class_labels.txt, '
            'train_test_split.txt)'),
    'FGVCAircraft': (lambda split: ['data/images',
                                    f'data/images_variant_{split}.txt'],
                     'trainval', 'the fgvc-aircraft-2013b folder of the '
                     'official archive (data/images/, '
                     'data/images_variant_<split>.txt)'),
    'StanfordCars': (lambda split: [f'cars_{split}', 'devkit/' + (
        'cars_test_annos_withlabels.mat' if split == 'test' else
        'cars_train_annos.mat')], 'train', 'the folder with cars_train/, '
        'cars_test/ and devkit/ (cars_train_annos.mat, '
        'cars_test_annos_withlabels.mat), or with car_ims/ and '
        'cars_annos.mat'),
    'DTD': (lambda split: ['images', 'imdb/imdb.mat'], 'trainval',
            'the dtd folder of the official archive (images/, '
            'imdb/imdb.mat)'),
}


def _check_layout(loader: str, key: str, dataset: dict) -> None:
    """The files an mmpretrain fine-grained data set class reads exist
    below its data_root (which exists: checked before); ``key`` is the
    data set's config key."""
    name = str(dataset.get('type')).split('.')[-1]
    layout, root = _LAYOUTS.get(name), dataset.get('data_root')
    if layout is None or not root:
        return
    paths, default_split, looks = layout
    if name == 'StanfordCars' and osp.isfile(
            osp.join(root, 'cars_annos.mat')):
        return  # the other layout: car_ims/ + cars_annos.mat
    for path in paths(dataset.get('split', default_split)):
        check_input_path(osp.join(root, path), f'{name} data',
                         f'{key}.data_root must be {looks}', key=loader,
                         kind='any')


def check_class_folders(cfg: Config, loaders: Sequence[str] = (
        'train_dataloader', 'val_dataloader')) -> None:
    """For class-folder data sets (mmpretrain's ``CustomDataset`` without an
    annotation file, inside wrappers too): every one finds the same class
    folders (classes are numbered by their sorted folder names, so a
    folder missing from one split would shift the labels of the others
    silently), and the classifier's ``num_classes`` is set and covers
    them."""
    found = []
    for loader in loaders:
        for dataset, folder in class_folder_roots(loader_dataset(cfg, loader)):
            if not osp.isdir(folder):
                continue  # reported by check_data_paths
            classes = sorted(entry.name for entry in os.scandir(folder)
                             if entry.is_dir())
            empty = empty_class_folder_problem(folder,
                                               dataset.get('extensions'))
            if empty:
                raise UsageError(f'{loader}: {empty}')
            if found and classes != found[0][2]:
                raise UsageError(
                    f'{loader}: {folder} has the class folders {classes}, '
                    f'but {found[0][1]} has {found[0][2]}; both need the '
                    'same ones, since classes are numbered by their sorted '
                    'folder names')
            found.append((loader, folder, classes))
    head = checkpoint_model_config(cfg).get('head') or {}
    if not found or 'num_classes' not in head:
        return
    num_classes, (_, folder, classes) = head['num_classes'], found[0]
    if num_classes is None or num_classes < len(classes):
        now = 'is not set' if num_classes is None else \
            f'={num_classes} is too small'
        raise UsageError(
            f'model.head.num_classes {now}: {folder} has {len(classes)} '
            f'class folders; set num_classes = {len(classes)} in the config '
            f'(or --cfg-options model.head.num_classes={len(classes)})')


_EVALUATORS = {'train_dataloader': None, 'val_dataloader': 'val_evaluator',
               'test_dataloader': 'test_evaluator'}


def check_data_paths(cfg: Config, loaders: Sequence[str] = (
        'train_dataloader', 'val_dataloader')) -> None:
    """Every data root, image folder and annotation file that the
    ``loaders`` (the data sets inside wrappers too) and their evaluators
    read exists."""
    for loader in loaders:
        if 'dataset' not in (cfg.get(loader) or {}):
            continue  # no such loader: its evaluator is not used either
        dataset = loader_dataset(cfg, loader)
        for key, leaf in named_leaf_datasets(dataset, f'{loader}.dataset'):
            for path, what in dataset_paths(leaf):
                check_input_path(
                    path, what, f'put the data there or set {key}.data_root '
                    f'(and {what}), e.g. --cfg-options {key}.data_root='
                    '/path/to/data/', key=loader, kind='any')
            _check_layout(loader, key, leaf)
        evaluators = cfg.get(_EVALUATORS.get(loader) or '') or []
        for evaluator in evaluators if isinstance(evaluators,
                                                  list) else [evaluators]:
            if evaluator.get('ann_file'):
                check_input_path(evaluator['ann_file'], 'ann_file',
                                 f'set {_EVALUATORS[loader]}.ann_file',
                                 key=_EVALUATORS[loader])


def _pretrained_inits(model: dict) -> Iterator[Tuple[str, dict]]:
    """(config key, init_cfg) of every ``Pretrained`` init of the model's
    backbone and neck."""
    for part in ('backbone', 'neck'):
        init = (model.get(part) or {}).get('init_cfg')
        inits = init if isinstance(init, (list, tuple)) else [init]
        for index, item in enumerate(inits):
            if isinstance(item, dict) and item.get('type') == 'Pretrained':
                key = f'model.{part}.init_cfg' + (
                    f'.{index}' if isinstance(init, (list, tuple)) else '')
                yield key, item


def check_pretrained_backbone(cfg: Config, init_weights: bool = True) -> None:
    """``load_from`` and, when the run initialises the model
    (``init_weights``: training), the ``Pretrained`` checkpoints of the
    backbone and the neck exist and are PyTorch checkpoints (local files;
    mmengine fetches URLs). A ``Pretrained`` init with a ``prefix`` (the
    fine-tuning configs load ``backbone.`` and ``neck.`` of an ImageNet
    checkpoint) must find those weights in the file, every key and shape of
    the part, since mmengine would load a partial match silently. A
    released file of the paper as training's ``load_from`` is refused, with
    the conversion to run (the one policy, ``gcp_mm.checkpoint.loading``)."""
    model = checkpoint_model_config(cfg)
    inits = list(_pretrained_inits(model)) if init_weights else []
    sources = [(f'{key}.checkpoint', init.get('checkpoint'))
               for key, init in inits]
    if cfg.get('load_from') and not cfg.get('resume'):
        sources.append(('load_from', cfg.load_from))
    for key, path in sources:
        if not path or str(path).startswith(REMOTE_CHECKPOINTS):
            continue
        hint = ('convert the released ImageNet weights with '
                'tools/convert_checkpoint.py (or train them with '
                'configs/imagenet)' if 'init_cfg' in key else
                'check the path')
        # the parts that load this file are set together
        keys = [k for k, p in sources
                if p == path and 'init_cfg' in k] or [key]
        check_input_path(
            path, 'checkpoint', f'{hint}, or set --cfg-options ' +
            ' '.join(f'{k}=PATH' for k in keys), key=key,
            folder_fix=CHECKPOINT_IN_FOLDER)
        try:
            checkpoint_format(path)
        except CheckpointError as err:
            raise UsageError(f'{key}: {err}') from err
    backbone = model.get('backbone') or {}
    if init_weights and str(backbone.get('type')).split('.')[-1] == \
            'GCPResNet':
        try:
            check_gcp_backbone_init(backbone.get('init_cfg'))
        except CheckpointError as err:
            raise UsageError(f'model.backbone.init_cfg: {err}') from err
    # training's load_from (tools/test.py checks its checkpoint's fit):
    # mmengine loads by name, and of a released file nothing, with a warning
    load_from = cfg.get('load_from') if init_weights and not cfg.get(
        'resume') else None
    if load_from and not str(load_from).startswith(REMOTE_CHECKPOINTS):
        _refuse_released_load_from(load_from)
    prefixed = [(key, init) for key, init in inits if init.get('prefix')]
    # one file under two spellings (relative, absolute, a link) is one file
    paths = {str(init.get('checkpoint')) if str(init.get('checkpoint'))
             .startswith(REMOTE_CHECKPOINTS) else
             osp.realpath(init.get('checkpoint')) for _, init in prefixed}
    if len(paths) > 1:
        raise UsageError(
            ' and '.join(f'{key}.checkpoint' for key, _ in prefixed) +
            ' name different files (' + ', '.join(
                sorted(str(init.get('checkpoint')) for _, init in prefixed))
            + '); '
            'the parts must come from one network: set them to the same '
            'checkpoint')
    states = {}  # read each file once
    for key, init in prefixed:
        path = init.get('checkpoint')
        if str(path).startswith(REMOTE_CHECKPOINTS):
            continue
        if osp.realpath(path) not in states:
            try:
                states[osp.realpath(path)] = read_state_dict(path)
            except CheckpointError as err:
                raise UsageError(f'{key}.checkpoint: {err}') from err
        _check_part_fits(cfg, key, init, states[osp.realpath(path)])
    target = build_model(cfg).state_dict() if states else {}
    for path, state in states.items():
        prefixes = tuple(
            init['prefix'].rstrip('.') + '.' for _, init in prefixed
            if osp.realpath(str(init.get('checkpoint'))) == path)
        log_partial_load(path, state, target, [
            k for k in target if k.startswith(prefixes) and k in state],
            ', '.join(p.rstrip('.') for p in prefixes))


def _refuse_released_load_from(path: str) -> None:
    """A released file as ``load_from`` is refused with the conversion to
    run; other layouts are left to mmengine."""
    state = read_state_dict(path)
    if not is_released_state_dict(state):
        return
    try:
        detect_arch(state)
    except CheckpointError:
        return  # no released network: not ours to judge
    try:
        refuse_released(state, path, 'load_from')
    except CheckpointError as err:
        raise UsageError(f'load_from: {err}') from err


def log_partial_load(path: str, state: dict, target: dict,
                     loaded: Sequence[str], parts: str = 'the model') -> None:
    """One INFO line: how many tensors load from the file, and which
    modules keep their initialisation, and why."""
    from mmengine.logging import print_log
    kept = describe_kept(state, target, loaded)
    print_log(
        f'{path}: {len(loaded)} tensors load into {parts}' +
        (f'; kept at their initialisation: {"; ".join(kept[:3])}'
         if kept else '') + (f' (and {len(kept) - 3} more)'
                             if len(kept) > 3 else ''),
        logger='current')


def log_checkpoint_fit(cfg: Config, checkpoint: str) -> None:
    """For ``tools/test.py --partial``: the one line of
    :func:`log_partial_load` for the keys of ``checkpoint`` that fit."""
    state = read_state_dict(checkpoint)
    refuse_released(state, checkpoint, 'tools/test.py --partial')
    target = build_model(cfg).state_dict()
    log_partial_load(checkpoint, state, target, [
        k for k, v in target.items()
        if k in state and tuple(state[k].shape) == tuple(v.shape)])


def _check_part_fits(cfg: Config, key: str, init: dict, state: dict) -> None:
    """The ``prefix`` weights of a Pretrained init (``state``: its file)
    fit the model part."""
    path, prefix = init['checkpoint'], init['prefix']
    if not prefix.endswith('.'):
        prefix += '.'  # as mmengine reads it
    part_state = {k[len(prefix):]: v for k, v in state.items()
                  if k.startswith(prefix)}
    if not part_state:
        try:
            arch, head = detect_arch(state)
            fix = (f'it looks like a released {arch} {head} file: convert '
                   'it with tools/convert_checkpoint.py first')
        except CheckpointError:
            fix = ('it is not a checkpoint of an mmpretrain model with '
                   f'{prefix!r} weights')
        raise UsageError(f'{key}.checkpoint: {path} has no {prefix}* '
                         f'weights; {fix}')
    part = key.split('.')[1]
    target = build_model(cfg, part).state_dict()
    try:
        check_state_dict_fits(part_state, target, f'model.{part}',
                              f'{path} ({prefix}*)')
    except StateDictMismatch as err:
        raise mismatch_answer(
            cfg, err, f'{key}.checkpoint: name the ImageNet checkpoint of '
            'this architecture') from err


def _build_neck(cfg: Config):
    """The config's neck, built; its constructor's own checks (a
    ``ValueError``) become a ``UsageError`` naming ``model.neck``."""
    try:
        return build_model(cfg, 'neck')
    except ValueError as err:
        raise UsageError(f'model.neck: {err}') from err


def check_gcp_model_config(cfg: Config, check_spatial: bool = True) -> None:
    """The backbone emits what the GCP neck pools (not pooled vectors),
    the neck builds (its own argument checks), the head's width is the
    neck's ``out_channels``, and the backbone leaves more than one position
    at the configured input size."""
    model = checkpoint_model_config(cfg)
    neck_cfg = model.get('neck') or {}
    if str(neck_cfg.get('type')).split('.')[-1] not in (
            'GlobalCovariancePooling', 'DropCovPooling'):
        return
    token_input = bool(neck_cfg.get('token_input', False))
    check_backbone_config(model.get('backbone') or {}, token_input)
    check_backbone_fits_neck(model.get('backbone') or {}, neck_cfg)
    neck = _build_neck(cfg)
    head = model.get('head') or {}
    if head.get('in_channels') not in (None, neck.out_channels):
        raise UsageError(
            f"model.head.in_channels={head['in_channels']} but "
            f"{neck_cfg['type']}(reduced_channels={neck.reduced_channels}) "
            f'outputs {neck.out_channels} features: set '
            f'model.head.in_channels={neck.out_channels}')
    size = None
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        size = pipeline_input_size(dataset.get('pipeline'))
        if size:
            break
    if not check_spatial or size is None or 'backbone' not in model:
        return
    backbone = build_model(cfg, 'backbone')
    backbone.eval()  # OpenMMLab backbones' train() returns None
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, size, size))
    check_backbone_output(feats, neck.in_channels, token_input,
                          model['backbone'].get('type'))
    if token_input:
        return
    height, width = feats[-1].shape[-2:]
    if height * width < 2:
        raise UsageError(
            f'the backbone reduces a {size}x{size} input to a {height}x'
            f'{width} map, and covariance pooling of a single position is '
            'zero: use larger images or keep more resolution in the last '
            'stage (e.g. ResNet strides=(1, 2, 2, 1))')


# the length of a one-line answer
LINE_BUDGET = 300


def mismatch_answer(cfg: Config, err: StateDictMismatch,
                    fix: str) -> UsageError:
    """A one-line answer (under ``LINE_BUDGET``) to a checkpoint that does
    not fit: the fix, the counts with a few example keys, and the file in
    the work dir that lists every key."""
    where = ''
    if cfg.get('work_dir'):
        report = osp.join(cfg.work_dir, 'checkpoint_mismatch.txt')
        os.makedirs(cfg.work_dir, exist_ok=True)
        with open(report, 'w') as f:
            f.write(err.full_report())
        where = f'; every key: {report}'
    # fewer details until the line fits: examples, shapes, the model
    for examples, shapes, model in ((3, True, True), (2, True, True),
                                    (1, True, True), (1, True, False),
                                    (1, False, True), (1, False, False),
                                    (0, False, False)):
        line = (f'{fix}: {osp.basename(err.source)} does not fit' +
                (f' {err.model}' if model else '') +
                f': {err.summary(examples, shapes)}{where}')
        if len(line) < LINE_BUDGET:
            break
    return UsageError(line)


def check_checkpoint_fits(
        cfg: Config, checkpoint: str,
        fix: str = "pass the checkpoint of this config's model (or "
        '--partial)',
        prefix: str = '') -> None:
    """Every key and shape of ``checkpoint`` fits the config's model, as
    ``tools/test.py`` needs (a partial load evaluates a half-random
    network and prints a meaningless accuracy); otherwise one
    ``UsageError`` that starts with ``prefix`` and gives ``fix``."""
    try:
        check_model_loads(cfg, checkpoint)
    except StateDictMismatch as err:
        raise mismatch_answer(cfg, err, prefix + fix) from err
    except CheckpointError as err:
        raise UsageError(f'{prefix}{err}') from err


def check_config_entries(cfg: Config, loaders: Sequence[str]) -> None:
    """The checks of a whole config before anything is built: every
    ``type`` is registered, the runner's numbers and ``on_bad_image`` are
    valid, the class folders of ``loaders`` hold no symbolic link loop
    (files they do not read are one warning), and the evaluators' top-k
    fits the number of classes."""
    check_config_types(cfg)
    check_runner_values(cfg)
    class_counts = report_unread_files(cfg, loaders)
    check_topk(cfg, loaders, class_counts)


def scanned_class_folders(
        dataset: dict, loader: str) -> Iterator[Tuple[dict, str, FolderScan]]:
    """``(data set, folder, scan)`` for each class-folder root of
    ``dataset`` (``loader``'s, wrappers included) that exists
    (``scan_folder`` with the inner data set's extensions); a symbolic link
    loop is a ``UsageError`` naming ``loader``."""
    for dataset, folder in class_folder_roots(dataset):
        if not osp.isdir(folder):
            continue
        try:
            yield dataset, folder, scan_folder(folder,
                                               dataset.get('extensions'))
        except SymlinkLoopError as err:
            raise UsageError(f'{loader}: {err}') from err


def report_unread_files(cfg: Config, loaders: Sequence[str]) -> dict:
    """For the class-folder data sets of ``loaders``: raise ``UsageError``
    for a symbolic link loop, log one warning with the count (by
    extension) and an example of the files the data set does not read;
    returns the number of class folders by loader."""
    from mmengine.logging import print_log
    counts = {}
    for loader in loaders:
        for _, folder, scan in scanned_class_folders(
                loader_dataset(cfg, loader), loader):
            counts.setdefault(loader, sum(
                1 for entry in os.scandir(folder) if entry.is_dir()))
            if scan.others:
                print_log(
                    f'{loader}: {sum(scan.others.values())} file(s) of '
                    f'{short_path(folder, 80)} not read, not being images '
                    f'by extension ({describe_others(scan.others)}), e.g. '
                    f'{short_path(scan.other_example, 80)}',
                    logger='current', level=logging.WARNING)
    return counts


def _evaluators(cfg: Config, loader: str) -> Iterator[Tuple[str, dict]]:
    name = _EVALUATORS.get(loader)
    evaluators = cfg.get(name or '') or []
    if isinstance(evaluators, dict):
        yield name, evaluators
        return
    for index, evaluator in enumerate(evaluators):
        if isinstance(evaluator, dict):
            yield f'{name}.{index}', evaluator


def check_topk(cfg: Config, loaders: Sequence[str],
               class_counts: Optional[dict] = None) -> None:
    """An accuracy ``topk`` of the evaluators of ``loaders`` is at most
    the number of classes (``model.head.num_classes``, else the class
    folders): mmpretrain's ``Accuracy`` fails at the end of the first
    evaluation otherwise, after a whole epoch of training."""
    num_classes = (checkpoint_model_config(cfg).get('head')
                   or {}).get('num_classes')
    for loader in loaders:
        classes = num_classes or (class_counts or {}).get(loader)
        if not classes:
            continue
        for key, evaluator in _evaluators(cfg, loader):
            topk = evaluator.get('topk')
            if topk is None or not str(evaluator.get('type')).endswith(
                    'Accuracy'):
                continue
            ks = topk if isinstance(topk, (list, tuple)) else (topk, )
            if max(ks) > classes:
                raise UsageError(
                    f'{key}.topk={tuple(ks)}: top-{max(ks)} accuracy needs '
                    f'at least {max(ks)} classes, but there are {classes}; '
                    f'set --cfg-options {key}.topk="(1,)"')


def check_resume(cfg: Config) -> Optional[str]:
    """For ``resume=True``: the checkpoint to resume from (``load_from``,
    else the one the work dir's ``last_checkpoint`` names, found in the
    work dir when that path no longer exists because the work dir moved),
    or None when training starts from scratch. It must be readable and fit
    the config's model (:func:`check_resume_fits`); ``cfg.load_from`` is
    set to it, so that mmengine resumes from exactly that file."""
    if not cfg.get('resume'):
        return None
    from gcp_mm.engine import last_checkpoint
    path = cfg.get('load_from') or last_checkpoint(cfg.work_dir)
    if path is None:
        return None
    check_input_path(path, 'checkpoint file', key='--resume',
                     folder_fix=CHECKPOINT_IN_FOLDER)
    try:
        checkpoint_format(path)
    except CheckpointError as err:
        raise UsageError(f'--resume: {err}') from err
    check_resume_fits(cfg, path)
    cfg.load_from = path
    return path


def check_resume_fits(cfg: Config, checkpoint: str) -> None:
    """A checkpoint to resume from has every key and shape of the config's
    model (the fit check of ``tools/test.py``): resuming a run of another
    architecture or class count would fail late, inside the optimizer."""
    check_checkpoint_fits(
        cfg, checkpoint, prefix='--resume: ',
        fix='resume with the config this checkpoint was trained with, or '
        'start afresh in a new --work-dir')
