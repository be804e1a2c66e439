"""Images that cannot be read: one line that names the file and the fix.

:class:`SafeLoadImageFromFile` reads images as mmcv's
``LoadImageFromFile`` (same bytes, same decoder, same array; images of
more than 8 bits per sample and LA images by the rule of
``gcp_mm.datasets.decoding`` instead, which keeps their meaning), but a file
that is missing, empty, truncated or not decodable either stops the run
with a :class:`BadImageError` (``on_bad_image='stop'``, the default) or is
skipped with a warning that names it (``on_bad_image='skip'``: the data set
then uses another sample in its place, as mmengine does for a ``None``
from the pipeline, and the file is recorded for the end-of-epoch summary
of ``BadImageHook``).
"""
import io
import logging
import os
import os.path as osp
from typing import Optional

import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS
from PIL import Image

from gcp_mm.errors import InputError

from .decoding import decode_image
from .pixel_limits import large_image_warning, too_large_problem

ON_BAD_IMAGE = ('stop', 'skip')
MAX_PATH_CHARS = 150


class BadImageError(InputError):
    """An image file that cannot be read. ``line`` is the one-line message
    (file, problem, fix), also when a DataLoader worker re-raised the error
    in the main process with the worker's traceback around it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.line = _original_line(message)


def _original_line(message: str) -> str:
    # torch's ExceptionWrapper re-raises as type(err)(text with traceback);
    # the last line of that traceback is "<module>.BadImageError: <line>"
    marker = f'{BadImageError.__name__}: '
    for line in reversed(message.splitlines()):
        if marker in line:
            return line.split(marker, 1)[1]
    return message.splitlines()[-1] if message else message


def short_path(path: str, limit: int = MAX_PATH_CHARS) -> str:
    """``path``, cut in the middle when longer than ``limit``, so that a
    message stays under its length budget; the file name stays whole."""
    path = str(path)
    if len(path) <= limit:
        return path
    return path[:limit // 3] + '...' + path[-(limit - limit // 3 - 3):]


def bad_image_message(path: str, problem: str, budget: int = 299,
                      evaluation: bool = False) -> str:
    """The stop mode's line: the file, the problem, the fixes; at most
    ``budget`` characters (a long path is cut in the middle). In
    ``evaluation`` the line says that evaluation stops whatever
    ``on_bad_image`` says, and why, instead of offering 'skip'."""
    if evaluation:
        rest = (f'{problem}: evaluation stops at any bad image, whatever '
                'on_bad_image says, since a metric must cover every image: '
                'remove or re-encode it (tools/check_data.py CONFIG lists '
                'all)')
    else:
        rest = (f"{problem}: remove or re-encode it, or set "
                "on_bad_image='skip' in the config (tools/check_data.py "
                'CONFIG lists all bad images)')
    return f'{short_path(path, max(40, budget - len(rest) - 1))} {rest}'


def _lacks_jpeg_end(data: bytes) -> bool:
    """A JPEG stream without its end-of-image marker (padding allowed)."""
    return data.startswith(b'\xff\xd8') and \
        not data.rstrip(b'\x00\r\n ').endswith(b'\xff\xd9')


def _is_truncated_jpeg(data: bytes) -> bool:
    """A JPEG stream whose end-of-image marker is missing and which PIL
    (the stricter decoder) cannot decode completely. Some cv2 builds decode
    such files partially, filling the rest with grey, without an error."""
    if not _lacks_jpeg_end(data):
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except OSError as err:
        return 'truncated' in str(err)
    return False


def image_problem(data: Optional[bytes], err: Optional[BaseException] = None
                  ) -> str:
    """What is wrong with an image file, in a few words, from its bytes
    (None when they could not be read) and the decoder's exception."""
    if isinstance(err, FileNotFoundError):
        return 'does not exist'
    if isinstance(err, IsADirectoryError):
        return 'is a directory, not an image file'
    if isinstance(err, Image.DecompressionBombError):
        return too_large_problem(getattr(err, 'size', None) or (0, 0)) or \
            'is too large (above PIL\'s decompression-bomb limit)'
    if data is not None and len(data) == 0:
        return 'is empty (0 bytes)'
    text = str(err or '')
    if 'truncated' in text or 'broken data stream' in text or (
            data is not None and len(data) > 2 and _lacks_jpeg_end(data)):
        return 'is truncated (its data ends early)'
    if 'conversion from' in text or 'not supported' in text:
        return f'cannot be converted to RGB ({text[:60]})'
    if data is not None and data[:2] == b'\xff\xd8':
        return 'is a damaged JPEG that cannot be decoded'
    if err is not None and not isinstance(err, (OSError, ValueError)):
        return f'cannot be decoded ({type(err).__name__[:40]})'
    return 'cannot be decoded as an image'


@TRANSFORMS.register_module()
class SafeLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments, same output) that
    names a bad file in one line and can skip it.

    Args:
        on_bad_image: ``'stop'`` raises :class:`BadImageError`;
            ``'skip'`` logs a warning naming the file, records it in
            ``report_file`` and returns None, so that the (training) data set
            uses another sample. Evaluation data sets raise on None, so
            evaluation pipelines keep ``'stop'``.
        report_file: prefix of the file that skipped images are appended
            to (``<prefix>-<pid>.tsv``, one ``path<TAB>problem`` line each,
            so that DataLoader workers can report them); set by
            ``BadImageHook``.
        **kwargs: ``LoadImageFromFile``'s arguments.
    """

    # set on evaluation data sets' steps (BadImageHook): they always stop
    evaluation = False

    def __init__(self, *args, on_bad_image: str = 'stop',
                 report_file: Optional[str] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_bad_image = check_mode(on_bad_image)
        self.report_file = report_file
        self._warned_large = set()

    def _read(self, filename: str) -> bytes:
        if self.file_client_args is not None:
            return fileio.FileClient.infer_client(
                self.file_client_args, filename).get(filename)
        return fileio.get(filename, backend_args=self.backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        data, img, err, size = None, None, None, None
        try:
            data = self._read(filename)
            img, _, size = decode_image(data, flag=self.color_type,
                                        backend=self.imdecode_backend)
        except Image.DecompressionBombError as error:
            err = error
            err.size = header_size(data)
        except Exception as error:  # decoders raise many types
            err = error
        if size is not None:
            self._warn_if_large(filename, size)
        if img is not None and self.imdecode_backend != 'pillow' and \
                _is_truncated_jpeg(data):
            img, err = None, OSError('image file is truncated')
        if img is None:
            if self.ignore_empty:
                return None
            return self._bad(filename, image_problem(data, err), err)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _warn_if_large(self, filename: str, size: tuple) -> None:
        warned = self.__dict__.setdefault('_warned_large', set())
        warning = large_image_warning(short_path(filename), size)
        if warning and filename not in warned:
            warned.add(filename)
            print_log(warning, logger='current', level=logging.WARNING)

    def _bad(self, filename: str, problem: str,
             err: Optional[BaseException]) -> None:
        evaluation = getattr(self, 'evaluation', False)
        if self.on_bad_image == 'stop' or evaluation:
            raise BadImageError(bad_image_message(
                filename, problem, evaluation=evaluation)) from err
        print_log(f'skipped bad image {short_path(filename)}: it '
                  f'{problem}; another sample is used in its place',
                  logger='current', level=logging.WARNING)
        if self.report_file:
            record = f'{filename}\t{problem}\n'.encode()
            # one short O_APPEND write per file: workers never interleave
            fd = os.open(f'{self.report_file}-{os.getpid()}.tsv',
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, record)
            finally:
                os.close(fd)
        return None

    def __repr__(self):
        return (super().__repr__()[:-1] +
                f", on_bad_image='{self.on_bad_image}')")


def header_size(data) -> Optional[tuple]:
    """(width, height) from the header of an image (its bytes or path),
    without PIL's limit; None when it cannot be read."""
    import warnings
    limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None
            with Image.open(io.BytesIO(data) if isinstance(data, bytes)
                            else data) as image:
                return image.size
    except Exception:  # noqa: BLE001  only the size is wanted
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def check_mode(on_bad_image: str) -> str:
    if on_bad_image not in ON_BAD_IMAGE:
        raise ValueError(f"on_bad_image must be 'stop' or 'skip', not "
                         f'{on_bad_image!r}')
    return on_bad_image


def read_report(prefix: str, seen: Optional[dict] = None) -> list:
    """``(path, problem)`` pairs that ``SafeLoadImageFromFile`` recorded
    under ``prefix`` (every process's file), those after the byte offsets
    in ``seen`` only (updated), in file order."""
    seen = {} if seen is None else seen
    folder, base = osp.split(prefix)
    records = []
    if not osp.isdir(folder):
        return records
    for name in sorted(os.listdir(folder)):
        if not (name.startswith(base + '-') and name.endswith('.tsv')):
            continue
        path = osp.join(folder, name)
        with open(path, 'rb') as f:
            f.seek(seen.get(path, 0))
            chunk = f.read()
        complete = chunk[:chunk.rfind(b'\n') + 1]
        seen[path] = seen.get(path, 0) + len(complete)
        for line in complete.decode().splitlines():
            file, _, problem = line.partition('\t')
            records.append((file, problem))
    return records
