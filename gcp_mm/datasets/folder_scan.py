"""What a class folder holds, walked as mmpretrain's ``CustomDataset``
walks it (symbolic links to folders are followed): the image files it
reads, every other file (so that none is ignored silently), and symbolic
link loops (which the data set would follow until the OS gives up with a
traceback)."""
import collections
import os
import os.path as osp
from typing import Counter, Iterable, List, NamedTuple, Optional

from gcp_mm.errors import InputError

from .image_files import IMAGE_EXTENSIONS


class SymlinkLoopError(InputError):
    """A symbolic link that points to a folder above itself."""


class FolderScan(NamedTuple):
    images: int
    # other files by extension ('' for none), with one example path
    others: Counter
    other_example: Optional[str]


def _extension(name: str) -> str:
    return osp.splitext(name)[1].lower()


def _walk(folder: str, ancestors: List[str]) -> Iterable[str]:
    """Every file below ``folder`` (symbolic links followed); raises
    ``SymlinkLoopError`` for a link to a folder it is in."""
    with os.scandir(folder) as entries:
        entries = sorted(entries, key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            real = osp.realpath(entry.path)
            if real in ancestors:
                raise SymlinkLoopError(
                    f'symbolic link loop: {entry.path} points to {real}, a '
                    'folder it is in, so reading the data set would never '
                    'end: remove the link or point it elsewhere')
            yield from _walk(entry.path, ancestors + [real])
        elif entry.is_file():
            yield entry.path


def scan_folder(folder: str, extensions: Optional[Iterable[str]] = None
                ) -> FolderScan:
    """Count the image files (by ``extensions``, default
    :data:`IMAGE_EXTENSIONS`) and the other files below ``folder``."""
    extensions = tuple(e.lower() for e in (extensions or IMAGE_EXTENSIONS))
    images, others, example = 0, collections.Counter(), None
    for path in _walk(folder, [osp.realpath(folder)]):
        if path.lower().endswith(extensions):
            images += 1
        else:
            others[_extension(path)] += 1
            example = example or path
    return FolderScan(images, others, example)


def describe_others(others: Counter) -> str:
    """'3 .txt, 1 .heic, 1 without extension', most frequent first."""
    return ', '.join(f'{count} {ext or "without extension"}'
                     for ext, count in others.most_common())
