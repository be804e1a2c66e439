import os.path as osp

from mmengine.config import Config


def _dataset_paths(dataset: dict):
    """(path, what) pairs a dataset config will read."""
    if 'dataset' in dataset:  # wrappers such as RepeatDataset
        yield from _dataset_paths(dataset['dataset'])
        return
    root = dataset.get('data_root') or ''
    ann_file = dataset.get('ann_file')
    if ann_file:
        yield osp.join(root, ann_file), 'annotation file'
    prefix = dataset.get('data_prefix')
    if isinstance(prefix, dict):
        prefix = prefix.get('img') or prefix.get('img_path')
    if prefix:
        yield osp.join(root, prefix), 'image folder'
    elif root:
        yield root, 'data root'


def check_data_paths(cfg: Config, loaders=('train_dataloader',
                                           'val_dataloader')) -> None:
    """Raise ``FileNotFoundError`` naming the first data path of ``loaders``
    that does not exist, and the config key that sets it."""
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not loader_cfg or 'dataset' not in loader_cfg:
            continue
        for path, what in _dataset_paths(loader_cfg['dataset']):
            if not osp.exists(path):
                raise FileNotFoundError(
                    f'{loader}: {what} not found: {path}. Put the data '
                    f'there or set {loader}.dataset.data_root (e.g. '
                    f'--cfg-options {loader}.dataset.data_root=/path/to/'
                    'data/).')
