"""The data check finds exactly the files the training decoders fail on,
and class folders without images."""
import os
import shutil

import pytest
from mmcv.transforms import LoadImageFromFile

from gcp_mm.datasets.data_check import (
    check_images,
    dataset_images,
    empty_class_folder_problem,
    empty_class_folders,
    image_problem_in_file,
)
from gcp_mm.testing import real_photo, write_bad_images


@pytest.fixture(scope='module')
def bad(tmp_path_factory):
    return write_bad_images(str(tmp_path_factory.mktemp('bad')))


def pil_training_decoder_fails(path):
    step = LoadImageFromFile(imdecode_backend='pillow',
                             color_type='color_ignore_orientation')
    try:
        return step(dict(img_path=path)) is None
    except Exception:
        return True


def test_problems_are_the_decoder_failures(bad, tmp_path):
    paths = [real_photo(), *bad.values(), str(tmp_path / 'gone.jpg')]
    for path in paths:
        problem = image_problem_in_file(path)
        assert (problem is not None) == pil_training_decoder_fails(path), (
            path, problem)
    assert 'truncated' in image_problem_in_file(bad['truncated'])
    assert '0 bytes' in image_problem_in_file(bad['empty'])
    assert 'does not exist' in image_problem_in_file(str(tmp_path / 'x.jpg'))


@pytest.mark.parametrize('workers', [1, 2])
def test_check_images_lists_bad_files_in_order(bad, workers):
    paths = [real_photo()] * 3 + [bad['empty'], bad['cmyk'],
                                  bad['truncated'], bad['png_as_jpg']]
    found = check_images(paths, workers=workers, progress=False)
    assert [path for path, _ in found] == [bad['empty'], bad['truncated']]


def make_class_folders(root, names, empty=()):
    for name in names:
        os.makedirs(os.path.join(root, name), exist_ok=True)
        if name not in empty:
            shutil.copyfile(real_photo(),
                            os.path.join(root, name, 'a.jpg'))


def test_empty_class_folders(tmp_path):
    make_class_folders(str(tmp_path), ['cat', 'dog', 'eel', 'fox'],
                       empty=('dog', 'fox'))
    # a folder with only a text file has no images either
    (tmp_path / 'fox' / 'notes.txt').write_text('to do')
    os.makedirs(tmp_path / 'eel' / 'deeper')  # nested images count
    shutil.move(str(tmp_path / 'eel' / 'a.jpg'),
                str(tmp_path / 'eel' / 'deeper' / 'a.jpg'))
    assert empty_class_folders(str(tmp_path)) == [
        str(tmp_path / 'dog'), str(tmp_path / 'fox')]
    line = empty_class_folder_problem(str(tmp_path))
    assert 'dog' in line and '1 more' in line and len(line) < 300
    assert empty_class_folder_problem(str(tmp_path / 'eel')) is None


def test_dataset_images_of_a_class_folder_config(tmp_path):
    make_class_folders(str(tmp_path / 'train'), ['a', 'b'])
    dataset = dict(type='CustomDataset', data_root=str(tmp_path),
                   data_prefix='train', pipeline=[dict(type='Bogus')])
    paths = dataset_images(dict(type='RepeatDataset', times=3,
                                dataset=dataset), 'mmpretrain')
    assert sorted(paths) == sorted(
        str(tmp_path / 'train' / c / 'a.jpg') for c in 'ab')
