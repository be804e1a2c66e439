"""One walk over a config's data sets: a ConcatDataset of a RepeatDataset
and a ClassBalancedDataset around real class folders, and a listed data
set; the walker finds what each data set really reads (checked against the
data sets mmpretrain builds), and the preflight, the data check and the
bad-image hook see the inner data sets through it."""
import copy
import os
import shutil

import pytest
from mmengine.config import Config

from gcp_mm.datasets.config_datasets import (
    all_datasets,
    class_folder_roots,
    dataset_paths,
    image_prefix,
    leaf_datasets,
    named_leaf_datasets,
)
from gcp_mm.testing import real_photo

CLASSES = ('cat', 'dog', 'eel')


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    """train/ and extra/ with a photo in each class folder, and a list
    file naming two of train's images."""
    root = tmp_path_factory.mktemp('walk')
    for split in ('train', 'extra'):
        for name in CLASSES:
            os.makedirs(root / split / name)
            shutil.copyfile(real_photo(), root / split / name / 'a.jpg')
    (root / 'meta').mkdir()
    (root / 'meta' / 'list.txt').write_text('cat/a.jpg 0\ndog/a.jpg 1\n')
    return root


def wrapped(root, extra='extra'):
    load = [dict(type='LoadImageFromFile')]
    folders = dict(type='CustomDataset', data_root=str(root),
                   data_prefix='train', pipeline=load)
    # a base's img_path merged with a config's own img: the data set reads
    # img_path
    merged = dict(type='CustomDataset', data_root=str(root),
                  data_prefix=dict(img_path=extra, img='nowhere'),
                  pipeline=load)
    listed = dict(type='CustomDataset', data_root=str(root),
                  ann_file='meta/list.txt', data_prefix='train',
                  pipeline=load)
    return dict(type='ConcatDataset', datasets=[
        dict(type='RepeatDataset', times=2, dataset=folders),
        dict(type='RepeatDataset', times=1, dataset=dict(
            type='ClassBalancedDataset', oversample_thr=0.1,
            dataset=merged)),
        listed])


def test_the_leaves_their_keys_and_what_they_read(root):
    cfg = wrapped(root)
    named = list(named_leaf_datasets(cfg, 'train_dataloader.dataset'))
    assert [key for key, _ in named] == [
        'train_dataloader.dataset.datasets.0.dataset',
        'train_dataloader.dataset.datasets.1.dataset.dataset',
        'train_dataloader.dataset.datasets.2']
    inner = cfg['datasets']
    assert [leaf for _, leaf in named] == [
        inner[0]['dataset'], inner[1]['dataset']['dataset'], inner[2]]
    assert list(leaf_datasets(cfg)) == [leaf for _, leaf in named]
    assert list(dataset_paths(cfg)) == [
        (str(root / 'train'), 'data_prefix'),
        (str(root / 'extra'), 'data_prefix'),
        (str(root / 'meta' / 'list.txt'), 'ann_file'),
        (str(root / 'train'), 'data_prefix')]
    # the listed data set (an annotation file) is not a class-folder one
    assert class_folder_roots(cfg) == [
        (inner[0]['dataset'], str(root / 'train')),
        (inner[1]['dataset']['dataset'], str(root / 'extra'))]
    # a data set without a prefix reads its data_root
    assert list(dataset_paths(dict(type='CustomDataset', data_root='d'))) == [
        ('d', 'data_root')]


@pytest.mark.parametrize('prefix, folder', [
    ('p', 'p'), (dict(img='i'), 'i'), (dict(img_path='p'), 'p'),
    (dict(img='i', img_path='p'), 'p'), (None, '')])
def test_the_image_prefix(prefix, folder):
    assert image_prefix(dict(data_prefix=prefix)) == folder


@pytest.mark.default_scope('mmpretrain')
def test_the_walk_reads_what_the_built_data_sets_read(root):
    """The walker's folders are the built data sets' (mmpretrain reads
    img_path where a data_prefix has both keys), and the built wrappers
    are walked to the same inner data sets (what the hook walks)."""
    from mmpretrain.registry import DATASETS

    from gcp_mm.datasets.bad_images import SafeLoadImageFromFile
    from gcp_mm.engine.hooks.bad_image_hook import make_loading_safe
    cfg = wrapped(root)
    cfg['datasets'].pop()  # mmengine concatenates equal class lists only
    built = DATASETS.build(copy.deepcopy(cfg))
    assert [type(d).__name__ for d in all_datasets(built)] == [
        'ConcatDataset', 'RepeatDataset', 'CustomDataset',
        'RepeatDataset', 'ClassBalancedDataset', 'CustomDataset']
    leaves = [d for d in all_datasets(built)
              if type(d).__name__ == 'CustomDataset']
    assert [d.img_prefix for d in leaves] == [
        folder for _, folder in class_folder_roots(cfg)]
    assert make_loading_safe(built, 'skip') == 2
    for leaf in leaves:
        step = leaf.pipeline.transforms[0]
        assert isinstance(step, SafeLoadImageFromFile)
        assert step.on_bad_image == 'skip'


def test_the_data_check_lists_the_images_of_every_inner_data_set(root):
    from gcp_mm.datasets.data_check import dataset_images
    images = dataset_images(wrapped(root), 'mmpretrain')
    assert sorted(images) == sorted(
        str(root / split / name / 'a.jpg') for split in ('train', 'extra')
        for name in CLASSES)


def loaders(root, **val):
    return Config(dict(
        train_dataloader=dict(dataset=wrapped(root, **val)),
        model=dict(head=dict(num_classes=len(CLASSES)))))


def test_the_preflight_checks_the_inner_data_sets(root, tmp_path):
    from gcp_mm.cli import UsageError, check_class_folders, check_data_paths
    from gcp_mm.errors import InputFileError
    check_data_paths(loaders(root), ['train_dataloader'])
    check_class_folders(loaders(root), ['train_dataloader'])
    with pytest.raises(InputFileError) as err:
        check_data_paths(loaders(root, extra='gone'), ['train_dataloader'])
    assert str(err.value) == (
        f'train_dataloader: data_prefix not found: {root / "gone"}; put the '
        'data there or set train_dataloader.dataset.datasets.1.dataset.'
        'dataset.data_root (and data_prefix), e.g. --cfg-options '
        'train_dataloader.dataset.datasets.1.dataset.dataset.data_root='
        '/path/to/data/')
    # an inner data set whose class folders differ would shift the labels
    fewer = tmp_path / 'fewer'
    for name in CLASSES[:2]:
        os.makedirs(fewer / name)
        shutil.copyfile(real_photo(), fewer / name / 'a.jpg')
    with pytest.raises(UsageError, match=rf"train_dataloader: {fewer} has "
                       r"the class folders \['cat', 'dog'\], but .*train "
                       r"has \['cat', 'dog', 'eel'\]"):
        check_class_folders(loaders(root, extra=str(fewer)),
                            ['train_dataloader'])


def test_unread_files_of_an_inner_data_set_are_reported(root, tmp_path,
                                                        logged_warnings):
    from gcp_mm.cli.preflight import report_unread_files
    noted = tmp_path / 'noted'
    shutil.copytree(root / 'extra', noted)
    (noted / 'cat' / 'notes.txt').write_text('not an image')
    counts = report_unread_files(loaders(root, extra=str(noted)),
                                 ['train_dataloader'])
    assert counts == {'train_dataloader': len(CLASSES)}
    assert len(logged_warnings) == 1, logged_warnings
    (line, ) = logged_warnings
    assert line.startswith('train_dataloader: 1 file(s) of ') and \
        'notes.txt' in line, line
