"""Very large images, by PIL's decompression-bomb sizes: above
``PIL.Image.MAX_IMAGE_PIXELS`` an image is decoded with a warning that
names the file (PIL's own warning does not), above twice that it is
refused (PIL's error size), with either decoder."""
from typing import Optional, Tuple

from PIL import Image


def pixel_limits() -> Tuple[Optional[int], Optional[int]]:
    """(warning size, error size) in pixels; (None, None) when the user
    lifted PIL's limit (``Image.MAX_IMAGE_PIXELS = None``)."""
    warn = Image.MAX_IMAGE_PIXELS
    return (None, None) if not warn else (int(warn), 2 * int(warn))


def too_large_problem(size: Tuple[int, int]) -> Optional[str]:
    """The bad-image problem of an image of ``size`` (width, height) above
    PIL's error size, else None."""
    _, refuse = pixel_limits()
    width, height = size
    if refuse is None or width * height <= refuse:
        return None
    return (f'is too large ({width}x{height} = {width * height / 1e6:.0f} M '
            f'pixels, above PIL\'s decompression-bomb limit of '
            f'{refuse / 1e6:.0f} M)')


def large_image_warning(path: str, size: Tuple[int, int]) -> Optional[str]:
    """The warning for an image of ``size`` above PIL's warning size (and
    not above its error size), naming ``path``, else None."""
    warn, refuse = pixel_limits()
    width, height = size
    pixels = width * height
    if warn is None or pixels <= warn or pixels > refuse:
        return None
    return (f'{path}: {width}x{height} = {pixels / 1e6:.0f} M pixels, above '
            f"PIL's decompression-bomb warning size ({warn / 1e6:.0f} M); "
            f'decoding it takes about {pixels * 3 / 2**30:.1f} GiB: '
            'downscale it if that is more than intended')
