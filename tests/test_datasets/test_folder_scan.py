"""Every file of a class folder is read or reported: one folder of real
files in every format both decoders read, plus a text file, through the
data set the tools build, both decoders, and the folder scan; and a
symbolic link loop is one line."""
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from gcp_mm.datasets import SafeLoadImageFromFile
from gcp_mm.datasets.folder_scan import (
    SymlinkLoopError,
    describe_others,
    scan_folder,
)
from gcp_mm.datasets.image_files import (
    IMAGE_EXTENSIONS,
    read_every_image_format,
)
from gcp_mm.testing import real_photo

FORMATS = ('jpg', 'jpeg', 'png', 'bmp', 'ppm', 'pgm', 'tif', 'tiff', 'webp',
           'gif')


@pytest.fixture(scope='module')
def mixed(tmp_path_factory):
    """data/cls/ with the photo in every read format, two notes and a
    .heic the decoders cannot read."""
    root = tmp_path_factory.mktemp('mixed') / 'data'
    folder = root / 'cls'
    folder.mkdir(parents=True)
    photo = Image.open(real_photo()).convert('RGB').resize((48, 40))
    for ext in FORMATS:
        image = photo.convert('L') if ext == 'pgm' else photo
        image.save(folder / f'photo.{ext}')
    (folder / 'notes.txt').write_text('not an image')
    (folder / 'sub').mkdir()
    (folder / 'sub' / 'readme.txt').write_text('nor this')
    (folder / 'phone.HEIC').write_bytes(b'\0' * 10)
    return root


def test_the_read_formats_cover_every_extension():
    assert sorted(IMAGE_EXTENSIONS) == sorted(f'.{ext}' for ext in FORMATS)


def test_the_scan_counts_images_and_others(mixed):
    scan = scan_folder(str(mixed / 'cls'))
    assert scan.images == len(FORMATS)
    assert dict(scan.others) == {'.txt': 2, '.heic': 1}
    assert describe_others(scan.others) == '2 .txt, 1 .heic'
    assert scan.other_example.endswith(('notes.txt', 'phone.HEIC',
                                        'readme.txt'))


def test_the_data_set_reads_every_format_with_both_decoders(mixed):
    from mmpretrain.datasets import CustomDataset
    cfg = dict(type='CustomDataset', data_root=str(mixed), pipeline=[])
    read_every_image_format(cfg)
    cfg.pop('type')
    dataset = CustomDataset(**cfg)
    paths = sorted(dataset.get_data_info(i)['img_path']
                   for i in range(len(dataset)))
    assert [os.path.splitext(p)[1] for p in paths] == sorted(
        f'.{ext}' for ext in FORMATS)
    # mmpretrain's own default would leave out .tiff, .webp and .gif
    plain = CustomDataset(data_root=str(mixed), pipeline=[])
    assert len(plain) == len(FORMATS) - 3
    reference = np.asarray(Image.open(mixed / 'cls' / 'photo.png'))
    for backend in ('cv2', 'pillow'):
        step = SafeLoadImageFromFile(imdecode_backend=backend)
        for path in paths:
            img = step(dict(img_path=path))['img']
            assert img.shape == (40, 48, 3), (path, backend)
            if path.endswith(('.png', '.bmp', '.ppm', '.tif', '.tiff')):
                # lossless: the same pixels (BGR)
                np.testing.assert_array_equal(img[..., ::-1], reference)


def test_gif_is_read_at_its_first_frame(tmp_path):
    frames = [Image.new('RGB', (8, 8), colour) for colour in
              ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / 'a.gif', save_all=True,
                   append_images=frames[1:])
    for backend in ('cv2', 'pillow'):
        img = SafeLoadImageFromFile(imdecode_backend=backend)(
            dict(img_path=str(tmp_path / 'a.gif')))['img']
        assert img[0, 0].tolist() == [0, 0, 255], backend  # red, in BGR
    assert cv2.imread(str(tmp_path / 'a.gif')) is not None


def test_a_symlink_loop_is_one_line(tmp_path):
    folder = tmp_path / 'data' / 'cls'
    folder.mkdir(parents=True)
    Image.new('RGB', (4, 4)).save(folder / 'a.png')
    os.symlink(tmp_path / 'data', folder / 'again')
    with pytest.raises(SymlinkLoopError) as info:
        scan_folder(str(tmp_path / 'data'))
    line = str(info.value)
    assert '\n' not in line and len(line) < 300
    assert 'again points to' in line and 'remove the link' in line
    # a link to a folder elsewhere is followed, as the data set does
    other = tmp_path / 'other'
    other.mkdir()
    Image.new('RGB', (4, 4)).save(other / 'b.png')
    os.remove(folder / 'again')
    os.symlink(other, folder / 'more')
    assert scan_folder(str(tmp_path / 'data')).images == 2
