"""Image sources for robustness evaluation: the released ImageNet-C folder
layout, and corruptions generated on the fly for any image folder."""
import io
import os
import os.path as osp
import zlib
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torchvision.transforms.functional as TF
from PIL import Image

from gcp_mm.datasets.image_files import is_image_file


def list_class_images(root: str) -> Tuple[List[str], List[Tuple[str, int]]]:
    """Classes (sorted sub-folders, mmpretrain ``CustomDataset`` order, the
    ImageNet wnid order) and (path, label) pairs under ``root``."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'image folder not found: {root}')
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)))
    if not classes:
        raise FileNotFoundError(
            f'{root} has no class sub-folders (expected <root>/<class>/'
            '<image>)')
    items = []
    for label, name in enumerate(classes):
        folder = osp.join(root, name)
        items += [(osp.join(folder, f), label) for f in sorted(os.listdir(
            folder)) if is_image_file(f)]
    if not items:
        raise FileNotFoundError(f'no images under {root}')
    return classes, items


def resize_short(image: Image.Image, size: int) -> Image.Image:
    """RGB image with its short side resized to ``size``: torchvision's
    ``Resize(size)`` on a PIL image (bilinear), as the reference and the
    zoo's test pipelines (docs/reference.md section 3)."""
    return TF.resize(image.convert('RGB'), size,
                     interpolation=TF.InterpolationMode.BILINEAR)


def resize_center_crop(image: Image.Image, crop: int = 224) -> np.ndarray:
    """Resize(256) + CenterCrop(224) (scaled for other crop sizes), pixel
    for pixel torchvision's; returns RGB uint8 H x W x 3."""
    image = resize_short(image, round(crop * 256 / 224))
    return np.asarray(TF.center_crop(image, crop))


def jpeg_round_trip(image: np.ndarray, quality: int = 85) -> np.ndarray:
    """Encode and decode as JPEG, as the released ImageNet-C files were."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format='JPEG', quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert('RGB'))


def corrupt_image(image: np.ndarray, corruption: str, severity: int,
                  seed: int) -> np.ndarray:
    """One corrupted copy with the maintained ``imagecorruptions`` fork
    (``imagecorruptions-imaug``); it draws from numpy's global RNG, which
    is seeded per image for repeatable data (glass_blur stays random)."""
    from imagecorruptions import corrupt
    np.random.seed(seed % 2**32)
    out = corrupt(image, corruption_name=corruption, severity=severity)
    return np.clip(np.asarray(out), 0, 255).astype(np.uint8)


def corrupted_images(clean_root: str,
                     corruption: str,
                     severity: int,
                     crop: int = 224,
                     seed: int = 0,
                     cache_root: Optional[str] = None
                     ) -> Iterator[Tuple[np.ndarray, int]]:
    """(RGB uint8 crop, label) of every image of ``clean_root`` corrupted
    on the fly (Resize + CenterCrop, corrupt, JPEG q85). With
    ``cache_root`` the JPEGs are also written in the ImageNet-C layout
    ``<cache>/<corruption>/<severity>/<class>/<name>.JPEG`` and reused."""
    classes, items = list_class_images(clean_root)
    for path, label in items:
        name = osp.splitext(osp.basename(path))[0] + '.JPEG'
        cached = None if cache_root is None else osp.join(
            cache_root, corruption, str(severity), classes[label], name)
        if cached and osp.isfile(cached):
            yield np.asarray(Image.open(cached).convert('RGB')), label
            continue
        image = resize_center_crop(Image.open(path), crop)
        key = f'{corruption}/{severity}/{classes[label]}/{name}'
        image = corrupt_image(image, corruption, severity,
                              seed + zlib.crc32(key.encode()))
        if cached:
            os.makedirs(osp.dirname(cached), exist_ok=True)
            Image.fromarray(image).save(cached, quality=85)
        yield jpeg_round_trip(image), label


def folder_images(root: str, classes: Sequence[str],
                  crop: Optional[int] = None
                  ) -> Iterator[Tuple[np.ndarray, int]]:
    """(RGB uint8, label) of a class-folder tree, labels by ``classes``.
    With ``crop`` the images get Resize + CenterCrop (clean images);
    without, they are used as they are (ImageNet-C files are 224 crops)."""
    index = {name: i for i, name in enumerate(classes)}
    found, items = list_class_images(root)
    for path, label in items:
        name = found[label]
        if name not in index:
            raise ValueError(f'{root}: class folder {name!r} is not one of '
                             'the model classes')
        image = Image.open(path)
        yield (resize_center_crop(image, crop) if crop else np.asarray(
            image.convert('RGB'))), index[name]
