"""Images above PIL's decompression-bomb sizes: a warning that names the
file above the warning size, a bad image above the error size, with both
decoders. The large file is a real 1-bit PNG (about 11 kB on disk)."""
import warnings

import pytest
from PIL import Image

from gcp_mm.datasets import BadImageError, SafeLoadImageFromFile
from gcp_mm.datasets.data_check import LARGE, check_images


@pytest.fixture(scope='module')
def large_png(tmp_path_factory):
    """A 1-bit PNG just above PIL's warning size (not its error size)."""
    side = int(Image.MAX_IMAGE_PIXELS ** 0.5) + 20
    path = tmp_path_factory.mktemp('large') / 'scan.png'
    Image.new('1', (side, side), 1).save(path, optimize=True)
    return path, side


def test_a_large_image_is_decoded_with_a_named_warning(large_png,
                                                        logged_warnings):
    path, side = large_png
    step = SafeLoadImageFromFile(imdecode_backend='pillow',
                                 color_type='grayscale')
    with warnings.catch_warnings():
        warnings.simplefilter('error', Image.DecompressionBombWarning)
        img = step(dict(img_path=str(path)))['img']  # no PIL warning
        step(dict(img_path=str(path)))  # warned once per file
    assert img.shape == (side, side)
    assert len(logged_warnings) == 1, logged_warnings
    line = logged_warnings[0]
    assert str(path) in line and f'{side}x{side}' in line
    assert "PIL's decompression-bomb warning size" in line


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_above_the_error_size_is_a_bad_image(large_png, monkeypatch,
                                             backend):
    path, side = large_png
    # the same file above a lower limit: PIL's error size is twice it
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', side * side // 3)
    step = SafeLoadImageFromFile(imdecode_backend=backend)
    with pytest.raises(BadImageError) as info:
        step(dict(img_path=str(path)))
    assert f'is too large ({side}x{side}' in info.value.line
    assert "above PIL's decompression-bomb limit" in info.value.line
    assert len(info.value.line) < 300
    problems = check_images([str(path)], workers=1, progress=False)
    assert problems[0][1].startswith(f'is too large ({side}x{side}')


def test_the_data_check_notes_large_images(large_png):
    notes = {}
    assert check_images([str(large_png[0])], workers=1, progress=False,
                        notes=notes) == []
    assert notes[LARGE] == [str(large_png[0])]
    assert notes['1-bit converted to RGB'] == [str(large_png[0])]
