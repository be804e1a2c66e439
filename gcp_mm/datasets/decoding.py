"""Image bytes to the 8-bit arrays the pipelines take, keeping what the
pixels mean, the same with both decoders (PIL and cv2).

The rule, for images that are not 8-bit:

* integer images (16-bit PNG/TIFF/PGM, 32-bit TIFF) keep their top 8 bits,
  ``value >> (bits - 8)``, as cv2 reads 16-bit PNGs (PIL's
  ``convert('RGB')`` would clip every value above 255 to white);
* floating-point images in [0, 1] are scaled by 255; others map their
  range (minimum to maximum) to 0-255 (a constant image to 0);
* 16-bit RGB keeps its top 8 bits too (what PIL reads; cv2 would round
  16-bit TIFFs instead).

Palette (P, PA), grayscale-with-alpha (LA), RGBA, CMYK and 1-bit images
convert as PIL's ``Image.convert('RGB')`` documents (palette colours,
alpha dropped), as torchvision's loader does; mmcv's PIL path would put LA
images on a grey background instead, and cv2 drops the alpha as PIL does.
Ordinary 8-bit images are decoded by ``mmcv.imfrombytes``, unchanged.
"""
import io
import warnings
from typing import NamedTuple, Optional, Tuple

import mmcv
import numpy as np
from PIL import Image, ImageOps

# PIL modes of more than 8 bits per sample, with their integer bit depth
_DEEP_MODES = {'I': 32, 'F': None}
_ALPHA_KINDS = {'LA': 'grayscale with alpha', 'PA': 'palette with alpha',
                'RGBA': 'RGB with alpha'}
_MODE_KINDS = {'P': 'palette', '1': '1-bit', 'L': 'grayscale',
               'CMYK': 'CMYK', 'YCbCr': 'YCbCr', 'LAB': 'Lab', 'HSV': 'HSV',
               **_ALPHA_KINDS}
HONOURS_EXIF = ('color', 'grayscale')


def _bits(image: Image.Image) -> Optional[int]:
    """The integer bit depth of a PIL image of more than 8 bits per
    sample (None for floating point), or 8."""
    if image.mode.startswith('I;16'):
        return 16
    if image.mode == 'I':
        return 16 if image.format == 'PNG' else 32
    if image.mode == 'F':
        return None
    return 8


def _is_16bit_rgb(image: Image.Image) -> bool:
    rawmode = image.tile[0].args if image.tile else ''
    rawmode = rawmode[0] if isinstance(rawmode, tuple) else rawmode
    return image.mode in ('RGB', 'RGBA') and ';16' in str(rawmode)


def conversion_kind(image: Image.Image) -> Optional[str]:
    """How an opened (not yet decoded) image departs from 8-bit RGB, in a
    few words, or None for 8-bit RGB."""
    if image.mode.startswith('I;16') or image.mode == 'I':
        return f'{_bits(image)}-bit grayscale scaled to 8 bits'
    if image.mode == 'F':
        return 'floating-point grayscale scaled to 8 bits'
    if _is_16bit_rgb(image):
        return '16-bit RGB scaled to 8 bits'
    if image.mode == 'RGB':
        return None
    kind = _MODE_KINDS.get(image.mode, f'{image.mode} mode')
    return f'{kind} converted to RGB' + (
        ' (alpha dropped)' if image.mode in _ALPHA_KINDS else '')


def to_8bit(array: np.ndarray, bits: Optional[int]) -> np.ndarray:
    """``array`` (integers of ``bits`` bits, or floats when ``bits`` is
    None) as uint8 by the rule of this module."""
    if bits is None:
        values = np.nan_to_num(array.astype(np.float64), nan=0.0,
                               posinf=0.0, neginf=0.0)
        low, high = float(values.min()), float(values.max())
        if low >= 0.0 and high <= 1.0:
            return np.rint(values * 255).astype(np.uint8)
        if high == low:
            return np.zeros(values.shape, np.uint8)
        return np.rint((values - low) * (255 / (high - low))).astype(np.uint8)
    values = np.clip(array.astype(np.int64), 0, None) >> (bits - 8)
    return np.minimum(values, 255).astype(np.uint8)


def open_image(data: bytes) -> Image.Image:
    """The image's header (PIL opens lazily: nothing is decoded), without
    PIL's unnamed decompression-bomb warning (see ``image_size``); raises
    what ``Image.open`` raises."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def needs_own_decoding(image: Image.Image, backend: str) -> bool:
    """Whether ``mmcv.imfrombytes`` would change the image's meaning: a
    deep image (PIL clips it, cv2 cannot read 32-bit samples or rounds
    16-bit TIFFs), or an LA image with PIL (mmcv pastes it on grey)."""
    return image.mode.startswith('I;16') or image.mode in _DEEP_MODES or \
        _is_16bit_rgb(image) or (backend == 'pillow' and image.mode == 'LA')


def _decode_own(image: Image.Image, flag: str,
                channel_order: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        if flag in HONOURS_EXIF:
            image = ImageOps.exif_transpose(image)
        bits = _bits(image)
        if bits != 8:
            gray = to_8bit(np.asarray(image), bits)
            if flag.startswith('grayscale'):
                return gray
            return np.repeat(gray[..., None], 3, axis=2)
        if flag.startswith('grayscale'):
            return np.asarray(image.convert('L'))
        rgb = np.asarray(image.convert('RGB'))
    return np.ascontiguousarray(rgb[..., ::-1]) \
        if channel_order == 'bgr' else rgb


class Decoded(NamedTuple):
    array: np.ndarray
    kind: Optional[str]  # conversion_kind; None when not known
    size: Optional[Tuple[int, int]]  # (width, height) of the file


def decode_image(data: bytes, flag: str = 'color', backend: str = 'cv2',
                 channel_order: str = 'bgr') -> Decoded:
    """The image in ``data`` as ``mmcv.imfrombytes`` would return it
    (``flag``: mmcv's colour type, ``backend``: 'cv2' or 'pillow'), with
    deep and LA images decoded by this module's rule, its
    :func:`conversion_kind` and size (both None when PIL cannot read the
    header; the kind None too when ``flag`` is 'unchanged'). Raises
    ``PIL.Image.DecompressionBombError`` above PIL's limit, whatever the
    backend."""
    backend = backend or 'cv2'
    try:
        image = open_image(data)
    except Image.DecompressionBombError:
        raise
    except Exception:  # PIL cannot read the header: leave it to mmcv
        image = None
    if image is None or flag == 'unchanged' or \
            backend not in ('cv2', 'pillow'):
        return Decoded(mmcv.imfrombytes(
            data, flag=flag, backend=backend, channel_order=channel_order),
            None, image.size if image is not None else None)
    kind = conversion_kind(image)
    if needs_own_decoding(image, backend):
        return Decoded(_decode_own(image, flag, channel_order), kind,
                       image.size)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        return Decoded(mmcv.imfrombytes(
            data, flag=flag, backend=backend, channel_order=channel_order),
            kind, image.size)
