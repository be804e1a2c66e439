"""Every pixel as it is: deep, palette and alpha images decode to what
they mean, the same with PIL and cv2, checked against numpy on real files
(written by cv2 and PIL, read back through the loading step training
uses)."""
import cv2
import numpy as np
import pytest
from PIL import Image

from gcp_mm.datasets import SafeLoadImageFromFile
from gcp_mm.datasets.decoding import conversion_kind, decode_image, to_8bit

BACKENDS = ('cv2', 'pillow')
# a known gradient over the whole 16-bit range: 0, 4, 8, ..., 65532
GRADIENT = (np.arange(64 * 256, dtype=np.int64).reshape(64, 256) * 4
            ).astype(np.uint16)


def load(path, backend, color_type='color_ignore_orientation'):
    step = SafeLoadImageFromFile(imdecode_backend=backend,
                                 color_type=color_type)
    return step(dict(img_path=str(path)))['img']


@pytest.fixture(scope='module')
def deep_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp('deep')
    paths = {}
    for ext in ('png', 'tif'):
        paths[f'gray16.{ext}'] = folder / f'gray16.{ext}'
        assert cv2.imwrite(str(paths[f'gray16.{ext}']), GRADIENT)
        rgb = np.stack([GRADIENT, GRADIENT // 2, 65535 - GRADIENT], -1)
        paths[f'rgb16.{ext}'] = folder / f'rgb16.{ext}'
        assert cv2.imwrite(str(paths[f'rgb16.{ext}']), rgb)  # BGR order
    paths['float.tif'] = folder / 'float.tif'
    Image.fromarray((GRADIENT / 65535.).astype(np.float32)).save(
        paths['float.tif'])
    paths['float_wide.tif'] = folder / 'float_wide.tif'
    Image.fromarray((GRADIENT / 65535. * 1000 - 200).astype(
        np.float32)).save(paths['float_wide.tif'])
    paths['int32.tif'] = folder / 'int32.tif'
    Image.fromarray(GRADIENT.astype(np.int32) << 15).save(
        paths['int32.tif'])
    return paths


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('ext', ['png', 'tif'])
def test_16bit_grayscale_keeps_its_gradient(deep_files, backend, ext):
    img = load(deep_files[f'gray16.{ext}'], backend)
    expected = (GRADIENT >> 8).astype(np.uint8)  # the top 8 bits
    assert img.dtype == np.uint8 and img.shape == (64, 256, 3)
    for channel in range(3):
        np.testing.assert_array_equal(img[..., channel], expected)
    # not PIL's clipping: 99.6 % of the pixels would be 255
    assert abs(img.mean() - 127.5) < 0.5 and (img.min(), img.max()) == (0,
                                                                        255)


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('ext', ['png', 'tif'])
def test_16bit_rgb_keeps_its_top_8_bits(deep_files, backend, ext):
    img = load(deep_files[f'rgb16.{ext}'], backend)  # BGR, as written
    for channel, values in enumerate(
            (GRADIENT, GRADIENT // 2, 65535 - GRADIENT)):
        np.testing.assert_array_equal(img[..., channel], values >> 8)


@pytest.mark.parametrize('backend', BACKENDS)
def test_float_and_32bit_images(deep_files, backend):
    unit = load(deep_files['float.tif'], backend)[..., 0]
    np.testing.assert_array_equal(
        unit, np.rint(GRADIENT / 65535. * 255).astype(np.uint8))
    wide = load(deep_files['float_wide.tif'], backend)[..., 0]
    assert (wide.min(), wide.max()) == (0, 255)  # its range, not clipped
    values = (GRADIENT / 65535. * 1000 - 200).astype(np.float32)
    expected = (values - values.min()) / (values.max() - values.min()) * 255
    assert np.abs(wide - np.rint(expected)).max() <= 1
    int32 = load(deep_files['int32.tif'], backend)[..., 0]
    np.testing.assert_array_equal(  # the top 8 of 32 bits
        int32, (GRADIENT.astype(np.int64) << 15) >> 24)


def test_grayscale_colour_type(deep_files):
    for backend in BACKENDS:
        img = load(deep_files['gray16.png'], backend, 'grayscale')
        np.testing.assert_array_equal(img, GRADIENT >> 8)


def test_palette_and_alpha_convert_as_pil_documents(tmp_path):
    """P, PA and LA images give what PIL's convert('RGB') gives (palette
    colours, alpha dropped), with both decoders."""
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    alpha = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    images = {
        'la.png': Image.fromarray(np.stack([gray, alpha], -1), 'LA'),
        'p.png': Image.fromarray(rgb).quantize(16),
        'p.gif': Image.fromarray(rgb).quantize(16),
    }
    for name, image in images.items():
        path = tmp_path / name
        image.save(path)
        with Image.open(path) as reread:
            expected = np.asarray(reread.convert('RGB'))[..., ::-1]
        for backend in BACKENDS:
            np.testing.assert_array_equal(load(path, backend), expected,
                                          err_msg=f'{name} {backend}')


def test_conversion_kinds(deep_files, tmp_path):
    Image.new('LA', (4, 4)).save(tmp_path / 'la.png')
    Image.new('P', (4, 4)).save(tmp_path / 'p.png')
    Image.new('RGB', (4, 4)).save(tmp_path / 'rgb.png')
    kinds = {}
    for path in [*deep_files.values(), *sorted(tmp_path.iterdir())]:
        with Image.open(path) as image:
            kinds[path.name] = conversion_kind(image)
    assert kinds['gray16.png'] == '16-bit grayscale scaled to 8 bits'
    assert kinds['rgb16.tif'] == '16-bit RGB scaled to 8 bits'
    assert kinds['int32.tif'] == '32-bit grayscale scaled to 8 bits'
    assert kinds['float.tif'] == 'floating-point grayscale scaled to 8 bits'
    assert kinds['la.png'] == \
        'grayscale with alpha converted to RGB (alpha dropped)'
    assert kinds['p.png'] == 'palette converted to RGB'
    assert kinds['rgb.png'] is None
    assert decode_image((tmp_path / 'rgb.png').read_bytes()).kind is None


def test_8bit_images_decode_as_mmcv_does(tmp_path):
    import mmcv

    from gcp_mm.testing import real_photo
    data = open(real_photo(), 'rb').read()
    for backend in BACKENDS:
        for flag in ('color', 'color_ignore_orientation', 'grayscale'):
            np.testing.assert_array_equal(
                decode_image(data, flag, backend).array,
                mmcv.imfrombytes(data, flag=flag, backend=backend))


def test_to_8bit_rule():
    assert to_8bit(np.array([0, 255, 256, 65535], np.uint16), 16).tolist() \
        == [0, 0, 1, 255]
    assert to_8bit(np.array([0., 0.5, 1.]), None).tolist() == [0, 128, 255]
    assert to_8bit(np.array([3., 3.]), None).tolist() == [0, 0]
    assert to_8bit(np.array([-1., 1.]), None).tolist() == [0, 255]
