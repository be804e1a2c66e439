"""ImageNet-C evaluation: top-1 errors per corruption and severity on the
released files or on corruptions generated on the fly, and the CE / mCE
summary (docs/robustness.md)."""
import os.path as osp
from typing import Dict, Iterator, Optional, Sequence

from .data import corrupted_images, folder_images, list_class_images
from .errors import RobustnessInputError
from .evaluate import (
    Progress,
    check_image_folder,
    predict,
    top1_error,
)
from .metrics import ALEXNET_ERRORS, SEVERITIES, imagenet_c_summary


def imagenet_c_folder(root: str, corruption: str, severity: int) -> str:
    """``<root>/<corruption>/<severity>``, the released layout."""
    return osp.join(root, corruption, str(severity))


def check_imagenet_c_inputs(corruptions: Sequence[str],
                            severities: Sequence[int],
                            clean_root: str,
                            imagenet_c_root: Optional[str] = None) -> None:
    """Fail with ``RobustnessInputError`` on an unknown corruption or
    severity, or a missing clean / ImageNet-C folder."""
    known = tuple(ALEXNET_ERRORS)  # those with an AlexNet normaliser
    for name in corruptions:
        if name not in known:
            raise RobustnessInputError(
                f'unknown corruption {name!r}; choose from '
                f'{", ".join(known)} (or leave --corruptions out for the '
                '15 benchmark corruptions)')
    for severity in severities:
        if severity not in SEVERITIES:
            raise RobustnessInputError(
                f'unknown severity {severity}; choose from 1, 2, 3, 4, 5')
    check_image_folder(clean_root, 'of clean images, such as the ImageNet '
                       'val folder')
    if imagenet_c_root is None:
        return
    if not osp.isdir(imagenet_c_root):
        raise RobustnessInputError(
            f'ImageNet-C folder not found: {imagenet_c_root}; pass the '
            'folder holding <corruption>/<severity>/<wnid>/*.JPEG, or use '
            '--corrupt-from to generate the corruptions')
    for name in corruptions:
        for severity in severities:
            folder = imagenet_c_folder(imagenet_c_root, name, severity)
            if not osp.isdir(folder):
                raise RobustnessInputError(
                    f'ImageNet-C folder not found: {folder}; download '
                    f'{name}, or leave it out with --corruptions')


def evaluate_imagenet_c(model,
                        corruptions: Sequence[str],
                        severities: Sequence[int],
                        clean_root: str,
                        imagenet_c_root: Optional[str] = None,
                        crop: int = 224,
                        seed: int = 0,
                        cache_root: Optional[str] = None,
                        batch_size: int = 32,
                        stream=None) -> Dict[str, object]:
    """Top-1 errors (%) per corruption and severity, the clean error, and
    the CE / mCE summary (when all 15 benchmark corruptions at all 5
    severities are present).

    With ``imagenet_c_root`` the released files are read
    (``<root>/<corruption>/<severity>/<wnid>/*.JPEG``); otherwise the
    corruptions are generated from ``clean_root`` on the fly."""
    classes, _ = list_class_images(clean_root)
    progress = Progress(len(corruptions) * len(severities) + 1, stream)
    errors = {}
    clean = top1_error(*predict(model, folder_images(clean_root, classes,
                                                     crop), batch_size))
    progress.step(f'clean: top-1 error {100 * clean:.2f}%')
    for corruption in corruptions:
        errors[corruption] = []
        for severity in severities:
            if imagenet_c_root is not None:
                images: Iterator = folder_images(
                    imagenet_c_folder(imagenet_c_root, corruption, severity),
                    classes)
            else:
                images = corrupted_images(clean_root, corruption, severity,
                                          crop, seed, cache_root)
            error = top1_error(*predict(model, images, batch_size))
            errors[corruption].append(error)
            progress.step(f'{corruption} s{severity}: top-1 error '
                          f'{100 * error:.2f}%')
    result = dict(errors={c: [100 * e for e in v] for c, v in errors.items()},
                  clean_error=100 * clean, severities=list(severities))
    if sorted(severities) == list(SEVERITIES):  # CE sums severities 1..5
        try:
            result.update(imagenet_c_summary(errors, clean))
        except ValueError as err:  # a subset of corruptions: no mCE
            result['note'] = str(err)
    return result
