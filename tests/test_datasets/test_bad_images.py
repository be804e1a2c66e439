"""SafeLoadImageFromFile reads good images exactly as mmcv does and names a
bad file in one line, with both decoders the configs use; the line
survives a DataLoader worker."""
import os
import shutil

import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from gcp_mm.datasets.bad_images import (
    BadImageError,
    SafeLoadImageFromFile,
    _is_truncated_jpeg,
    read_report,
)
from gcp_mm.testing import real_photo, real_png, write_bad_images

# mmdet's stock pipelines (cv2) and the zoo / fine-grained configs (PIL)
DECODERS = [dict(), dict(imdecode_backend='pillow',
                         color_type='color_ignore_orientation')]


@pytest.fixture(scope='module')
def bad(tmp_path_factory):
    return write_bad_images(str(tmp_path_factory.mktemp('bad')))


def load(path, **kwargs):
    return SafeLoadImageFromFile(**kwargs)(dict(img_path=path))


def pil_bgr(path):
    return np.asarray(Image.open(path).convert('RGB'))[..., ::-1]


@pytest.mark.parametrize('decoder', DECODERS)
def test_good_images_are_read_as_mmcv_reads_them(decoder, bad):
    for path in (real_photo(), real_png(), bad['png_as_jpg'], bad['cmyk']):
        ours = load(path, **decoder)
        theirs = LoadImageFromFile(**decoder)(dict(img_path=path))
        assert np.array_equal(ours['img'], theirs['img']), path
        assert ours['img_shape'] == theirs['img_shape']
        assert ours['img'].shape[2] == 3


def test_pil_decoder_equals_pil_rgb(bad):
    # a PNG named .jpg and a CMYK JPEG are not errors: PIL converts both
    for path in (real_photo(), bad['png_as_jpg'], bad['cmyk']):
        img = load(path, **DECODERS[1])['img']
        assert np.array_equal(img, pil_bgr(path)), path


def check_line(line, path, *words):
    assert '\n' not in line and len(line) < 300, line
    assert os.path.basename(path) in line, line
    for word in words:
        assert word in line, (word, line)
    assert 'tools/check_data.py' in line and "on_bad_image='skip'" in line


@pytest.mark.parametrize('decoder', DECODERS)
@pytest.mark.parametrize('name,words', [
    ('truncated', ['is truncated']), ('empty', ['is empty (0 bytes)'])])
def test_bad_image_stops_in_one_line(decoder, name, words, bad):
    with pytest.raises(BadImageError) as info:
        load(bad[name], **decoder)
    check_line(str(info.value), bad[name], *words)
    assert info.value.line == str(info.value)


@pytest.mark.parametrize('decoder', DECODERS)
def test_missing_file(decoder, tmp_path):
    path = str(tmp_path / 'gone.jpg')
    with pytest.raises(BadImageError) as info:
        load(path, **decoder)
    check_line(info.value.line, path, 'does not exist')


def test_truncated_jpeg_is_recognised_from_its_bytes(bad):
    # some cv2 builds decode a truncated JPEG partially (grey below)
    with open(real_photo(), 'rb') as f:
        photo = f.read()
    assert not _is_truncated_jpeg(photo)
    assert not _is_truncated_jpeg(photo + b'\x00' * 16)  # padded: fine
    with open(bad['truncated'], 'rb') as f:
        assert _is_truncated_jpeg(f.read())


class _Files(torch.utils.data.Dataset):

    def __init__(self, paths, **kwargs):
        self.paths, self.load = paths, SafeLoadImageFromFile(**kwargs)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        out = self.load(dict(img_path=self.paths[i]))
        return 0 if out is None else out['img'].shape[0]


def test_one_line_survives_a_dataloader_worker(bad):
    loader = torch.utils.data.DataLoader(
        _Files([real_photo(), bad['truncated']], **DECODERS[1]),
        batch_size=None, num_workers=1)
    with pytest.raises(BadImageError) as info:
        list(loader)
    # torch re-raises with the worker's traceback around the message
    assert 'Traceback' in str(info.value)
    check_line(info.value.line, bad['truncated'], 'is truncated')


def test_skip_reports_from_workers(bad, tmp_path):
    prefix = str(tmp_path / 'rank0')
    paths = [real_photo(), bad['truncated'], bad['empty'], real_photo()]
    loader = torch.utils.data.DataLoader(
        _Files(paths, on_bad_image='skip', report_file=prefix,
               **DECODERS[1]), batch_size=None, num_workers=2)
    height = Image.open(real_photo()).height
    assert list(loader) == [height, 0, 0, height]  # 0: skipped
    seen = {}
    records = read_report(prefix, seen)
    assert sorted(records) == sorted([
        (bad['truncated'], 'is truncated (its data ends early)'),
        (bad['empty'], 'is empty (0 bytes)')])
    assert read_report(prefix, seen) == []  # only new records next time


def test_long_paths_keep_the_line_under_300_characters(bad, tmp_path):
    deep = tmp_path.joinpath(*['a_long_folder_name_' * 3] * 6)
    deep.mkdir(parents=True)
    path = str(deep / 'IMG_20240101_123456_truncated.jpg')
    shutil.copyfile(bad['truncated'], path)
    assert len(path) > 300
    with pytest.raises(BadImageError) as info:
        load(path)
    check_line(info.value.line, path, 'is truncated', '...')


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="'stop' or 'skip'"):
        SafeLoadImageFromFile(on_bad_image='ignore')


def test_evaluation_stops_whatever_on_bad_image_says(bad):
    """An evaluation data set's loading step (BadImageHook marks it) stops
    at a bad image even with on_bad_image='skip', and its line says why
    instead of offering 'skip'."""
    from mmengine.dataset import Compose

    from gcp_mm.engine.hooks.bad_image_hook import BadImageHook

    class Loop:
        class dataloader:
            class dataset:
                pipeline = Compose([SafeLoadImageFromFile(
                    on_bad_image='skip')])

    BadImageHook(on_bad_image='skip')._evaluation(Loop)
    step = Loop.dataloader.dataset.pipeline.transforms[0]
    with pytest.raises(BadImageError) as info:
        step(dict(img_path=bad['truncated']))
    line = info.value.line
    assert line.startswith(f"{bad['truncated']} is truncated")
    assert 'evaluation stops at any bad image, whatever on_bad_image says, ' \
        'since a metric must cover every image' in line
    assert "set on_bad_image='skip'" not in line and len(line) < 300
