"""Find every image of a config's data sets that training would fail on,
before a long run starts (``tools/check_data.py``).

Each file is decoded completely with PIL (JPEGs at 1/8 scale, which still
reads every byte, so truncation is found) and converted to RGB, as the
configs' loading does; how it departs from 8-bit RGB (bit depth, palette,
alpha: ``gcp_mm.datasets.decoding``) and whether it is above PIL's
decompression-bomb warning size is noted. Class-folder data sets are also
searched for class folders without images and files that are not read.
"""
import copy
import multiprocessing
import os
import os.path as osp
import warnings
from typing import Iterable, List, Optional, Sequence, Tuple

from PIL import Image

from gcp_mm.errors import InputError

from .bad_images import header_size, image_problem, short_path
from .config_datasets import leaf_datasets
from .decoding import conversion_kind
from .image_files import IMAGE_EXTENSIONS
from .pixel_limits import pixel_limits, too_large_problem

LARGE = 'above PIL\'s decompression-bomb warning size'


class DataCheckError(InputError):
    """A config whose data the check cannot enumerate."""


def inspect_file(path: str) -> Tuple[Optional[str], Tuple[str, ...]]:
    """``(problem, notes)``: what is wrong with the image file ``path`` (as
    :func:`~gcp_mm.datasets.bad_images.image_problem` words it; None when
    it decodes completely and converts to RGB), and notes on a readable
    one: its :func:`~gcp_mm.datasets.decoding.conversion_kind` and
    :data:`LARGE`."""
    notes = []
    try:
        if osp.getsize(path) == 0:
            return image_problem(b''), ()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(path) as image:
                kind = conversion_kind(image)
                notes += [kind] if kind else []
                warn = pixel_limits()[0]
                if warn is not None and image.size[0] * image.size[1] > warn:
                    notes.append(LARGE)
                image.draft('RGB', (1, 1))  # JPEG: decode at 1/8 scale
                image.load()
                image.convert('RGB')
    except Image.DecompressionBombError:
        return _too_large(path), ()
    except Exception as err:  # PIL raises many types
        head = None
        if osp.isfile(path):
            with open(path, 'rb') as f:
                head = f.read(2)
        return image_problem(head, err), ()
    return None, tuple(notes)


def _too_large(path: str) -> str:
    return too_large_problem(header_size(path) or (0, 0)) or 'is too large'


def image_problem_in_file(path: str) -> Optional[str]:
    """What is wrong with the image file ``path`` (as
    :func:`~gcp_mm.datasets.bad_images.image_problem` words it), or None
    when it decodes completely and converts to RGB."""
    return inspect_file(path)[0]


def _check(path: str) -> Tuple[str, Optional[str], Tuple[str, ...]]:
    return (path, ) + inspect_file(path)


def check_images(paths: Sequence[str], workers: int = 2,
                 progress: bool = True,
                 notes: Optional[dict] = None) -> List[Tuple[str, str]]:
    """``(path, problem)`` for every file of ``paths`` that is not a
    readable RGB-convertible image, in the order of ``paths``; decoded in
    ``workers`` processes, with a progress bar on a terminal. ``notes``,
    when given, gets the paths of the readable images by note (the
    conversion kinds and :data:`LARGE`)."""
    from tqdm import tqdm
    order = {path: i for i, path in enumerate(paths)}
    chunk = max(1, min(256, len(paths) // (workers * 16) or 1))
    bar = tqdm(total=len(paths), unit='img', disable=None if progress
               else True, desc='checking images')
    bad = []
    try:
        if workers <= 1:
            results = map(_check, paths)
            pool = None
        else:
            pool = multiprocessing.get_context('fork').Pool(workers)
            results = pool.imap_unordered(_check, paths, chunksize=chunk)
        for path, problem, found in results:
            bar.update()
            if problem is not None:
                bad.append((path, problem))
            for note in found if notes is not None else ():
                notes.setdefault(note, []).append(path)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        bar.close()
    return sorted(bad, key=lambda item: order[item[0]])


def empty_class_folders(folder: str,
                        extensions: Iterable[str] = IMAGE_EXTENSIONS
                        ) -> List[str]:
    """The class folders (subfolders) of ``folder`` that hold no image
    file with one of ``extensions`` at any depth: mmpretrain's
    ``CustomDataset`` would count each as a class without images."""
    extensions = tuple(e.lower() for e in extensions)
    empty = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_dir() and not _has_image(entry.path, extensions):
            empty.append(entry.path)
    return empty


def _has_image(folder: str, extensions: tuple) -> bool:
    for _, _, files in os.walk(folder, followlinks=True):
        if any(name.lower().endswith(extensions) for name in files):
            return True
    return False


def dataset_images(dataset_cfg: dict, scope: Optional[str] = None
                   ) -> List[str]:
    """The image files a data set config reads (every ``img_path`` of its
    data list; wrappers' inner data sets each once), its pipeline left
    out. ``scope``: the config's ``default_scope`` (mmpretrain, mmdet)."""
    from mmengine.registry import DATASETS, DefaultScope
    paths = []
    for leaf in leaf_datasets(dataset_cfg):
        leaf = copy.deepcopy(dict(leaf))
        leaf['pipeline'] = []
        leaf.pop('lazy_init', None)
        with DefaultScope.overwrite_default_scope(scope):
            try:
                dataset = DATASETS.build(leaf)
            except Exception as err:
                raise DataCheckError(
                    f'cannot index the {leaf.get("type")} data set '
                    f'({type(err).__name__}: {str(err)[:150]})') from err
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            path = info.get('img_path') or info.get('filename')
            if path:
                paths.append(path)
    return list(dict.fromkeys(paths))


def empty_class_folder_problem(folder: str,
                               extensions: Optional[Iterable[str]] = None
                               ) -> Optional[str]:
    """One line naming the class folders of ``folder`` without images and
    the fix, or None when every class folder has images."""
    empty = empty_class_folders(folder, extensions or IMAGE_EXTENSIONS)
    if not empty:
        return None
    more = f' (and {len(empty) - 1} more)' if len(empty) > 1 else ''
    return (f'class folder without images: {short_path(empty[0], 120)}'
            f'{more}; it would be counted as a class that is never seen. '
            'Add images to it or remove it')
