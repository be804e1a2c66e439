"""A config's data sets, walked in one place for every part that reads
them (the tools' checks before a run, ``tools/check_data.py``, the
bad-image hook, the image formats the tools' data sets read): the data
sets inside wrappers (``ConcatDataset.datasets``, ``RepeatDataset`` and
``ClassBalancedDataset``'s ``dataset``) at any depth, the files and
folders each reads (``data_root`` joined with ``ann_file`` and
``data_prefix``), and the folders whose subfolders are the classes."""
import os.path as osp
from typing import Any, Iterator, List, Optional, Tuple


def _inner(dataset: Any) -> List[Any]:
    """The data sets directly inside a wrapper: its ``dataset`` and its
    ``datasets``, as config keys or as the built object's attributes."""
    if isinstance(dataset, dict):
        one, many = dataset.get('dataset'), dataset.get('datasets')
    else:
        one = getattr(dataset, 'dataset', None)
        many = getattr(dataset, 'datasets', None)
    return ([one] if one is not None else []) + list(many or [])


def all_datasets(dataset: Any) -> Iterator[Any]:
    """``dataset`` and every data set inside it, outer ones first: config
    dicts, or built data sets (whose wrappers keep the same names as
    attributes; mmdet's ``MultiImageMixDataset`` has a pipeline of its
    own, so wrappers are yielded too)."""
    if dataset is None:
        return
    yield dataset
    for inner in _inner(dataset):
        yield from all_datasets(inner)


def named_leaf_datasets(dataset: Any, name: str = 'dataset'
                        ) -> Iterator[Tuple[str, dict]]:
    """``(config key, config)`` of every data set of the config
    ``dataset`` that wraps no other (the ones that read files), in
    order; ``name`` is the key of ``dataset`` itself (e.g.
    ``'train_dataloader.dataset'``), an inner one's key adds
    ``.dataset`` or ``.datasets.<i>``."""
    if not isinstance(dataset, dict):
        return
    inner = dataset.get('dataset')
    many = dataset.get('datasets') or []
    if inner is None and not many:
        yield name, dataset
        return
    if inner is not None:
        yield from named_leaf_datasets(inner, f'{name}.dataset')
    for index, one in enumerate(many):
        yield from named_leaf_datasets(one, f'{name}.datasets.{index}')


def leaf_datasets(dataset: Any) -> Iterator[dict]:
    """The configs of :func:`named_leaf_datasets`, without their keys."""
    for _, leaf in named_leaf_datasets(dataset):
        yield leaf


# the data loaders a config may have, in the order a run uses them
DATA_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def loader_dataset(cfg: Any, loader: str) -> dict:
    """The ``dataset`` config of the data loader ``loader`` (e.g.
    ``'train_dataloader'``) of ``cfg``; ``{}`` when it has none."""
    return (cfg.get(loader) or {}).get('dataset') or {}


def image_prefix(dataset: dict) -> str:
    """The image folder of a data set config's ``data_prefix``, below its
    ``data_root``. A dict is read at ``img_path`` first, then ``img``:
    ``img_path`` is the key of mmengine's ``BaseDataset`` (and of
    mmpretrain's data sets, the class-folder one among them), ``img`` the
    older spelling of mmdet's COCO data sets (marked there to become
    ``img_path``); a config that merges a base's ``img_path`` with its own
    ``img`` holds both."""
    prefix = dataset.get('data_prefix') or ''
    if isinstance(prefix, dict):
        prefix = prefix.get('img_path') or prefix.get('img') or ''
    return prefix


def dataset_paths(dataset: Any) -> Iterator[Tuple[str, str]]:
    """``(path, what)`` for every file and folder the config ``dataset``
    reads, wrappers' inner data sets included: its annotation file
    (``'ann_file'``) and its image folder (``'data_prefix'``, or
    ``'data_root'`` when it has no prefix)."""
    for leaf in leaf_datasets(dataset):
        root = leaf.get('data_root') or ''
        if leaf.get('ann_file'):
            yield osp.join(root, leaf['ann_file']), 'ann_file'
        prefix = image_prefix(leaf)
        if prefix:
            yield osp.join(root, prefix), 'data_prefix'
        elif root:
            yield root, 'data_root'


def class_folder_root(dataset: dict) -> Optional[str]:
    """The folder whose subfolders are the classes, for a class-folder
    ``CustomDataset`` config (no annotation file, no class list), else
    None (wrappers too: see :func:`class_folder_roots`)."""
    if str(dataset.get('type')).split('.')[-1] != 'CustomDataset' or \
            dataset.get('ann_file') or \
            (dataset.get('metainfo') or {}).get('classes'):
        return None
    return osp.join(dataset.get('data_root') or '', image_prefix(dataset))


def class_folder_roots(dataset: Any) -> List[Tuple[dict, str]]:
    """``(config, folder)`` of every class-folder data set of the config
    ``dataset`` (:func:`class_folder_root`), wrappers' inner ones
    included, in order; a folder that several read is listed once."""
    roots = {}
    for leaf in leaf_datasets(dataset):
        folder = class_folder_root(leaf)
        if folder is not None:
            roots.setdefault(folder, leaf)
    return [(leaf, folder) for folder, leaf in roots.items()]
