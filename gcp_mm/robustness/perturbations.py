"""ImageNet-P style perturbation sequences for any image (docs/robustness.md).

Per-frame parameters follow the ImageNet-P generation: 31 frames (translate
41); the affine perturbations act on the Resize(256) image before
CenterCrop(224), the others on the 224 crop (sizes scale with ``crop``).
Differences to the released videos, which users should know:

* frames are kept in memory, not H.264-encoded (no compression artefacts);
* motion blur is a Gaussian-weighted line kernel (no ImageMagick), and the
  snow layer is a fixed random field of flakes blurred along the frame's
  angle, in the spirit of, not identical to, the original;
* noise is drawn from a seeded numpy generator per video;
* the affine perturbations fill the borders by reflection.
"""
from typing import Callable, List

import cv2
import numpy as np
from PIL import Image

from .data import resize_center_crop, resize_short
from .metrics import TEST_PERTURBATIONS

NOISE_SIGMA = {1: 0.03, 2: 0.05, 3: 0.08}
SHOT_LAMBDA = {1: 300, 2: 120, 3: 60}


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _center_crop(image: np.ndarray, crop: int) -> np.ndarray:
    height, width = image.shape[:2]
    top, left = (height - crop) // 2, (width - crop) // 2
    return image[top:top + crop, left:left + crop]


def motion_blur(image: np.ndarray, radius: float, sigma: float,
                angle: float) -> np.ndarray:
    """Blur along ``angle`` degrees with a Gaussian-weighted line kernel."""
    size = 2 * int(np.ceil(radius)) + 1
    offsets = np.arange(size) - size // 2
    weights = np.exp(-offsets**2 / (2 * sigma**2))
    kernel = np.zeros((size, size), np.float32)
    theta = np.deg2rad(angle)
    for offset, weight in zip(offsets, weights):
        x = int(round(size // 2 + offset * np.cos(theta)))
        y = int(round(size // 2 - offset * np.sin(theta)))
        kernel[y, x] += weight
    kernel /= kernel.sum()
    return cv2.filter2D(image.astype(np.float32), -1, kernel,
                        borderType=cv2.BORDER_REFLECT)


def _affine_frames(image256: np.ndarray, crop: int, count: int,
                   matrix: Callable[[int, int, int], np.ndarray],
                   perspective: bool = False) -> List[np.ndarray]:
    height, width = image256.shape[:2]
    frames = []
    for i in range(count):
        m = matrix(i, width, height)
        warp = cv2.warpPerspective if perspective else cv2.warpAffine
        out = warp(image256, m, (width, height), flags=cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_REFLECT)
        frames.append(_center_crop(out, crop))
    return frames


def _tilt_matrix(degrees: float, width: int, height: int) -> np.ndarray:
    """Homography of a plane rotated by ``degrees`` about both the x and
    the y axis (phi = theta), seen by a pinhole camera."""
    phi = theta = np.deg2rad(degrees)
    focal = max(width, height)
    rx = np.array([[1, 0, 0], [0, np.cos(phi), -np.sin(phi)],
                   [0, np.sin(phi), np.cos(phi)]])
    ry = np.array([[np.cos(theta), 0, np.sin(theta)], [0, 1, 0],
                   [-np.sin(theta), 0, np.cos(theta)]])
    k = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]])
    return k @ ry @ rx @ np.linalg.inv(k)


def perturbation_sequence(image: Image.Image, perturbation: str,
                          difficulty: int = 1, crop: int = 224,
                          seed: int = 0) -> List[np.ndarray]:
    """The frames (RGB uint8, ``crop`` x ``crop``) of one sequence."""
    rng = np.random.default_rng(seed)
    resize = round(crop * 256 / 224)
    base = resize_center_crop(image, crop)
    x = base.astype(np.float32) / 255
    if perturbation == 'gaussian_noise':
        sigma = NOISE_SIGMA[difficulty]
        return [base] + [_to_uint8(x + rng.normal(0, sigma, x.shape))
                         for _ in range(30)]
    if perturbation == 'shot_noise':
        lam = SHOT_LAMBDA[difficulty]
        return [base] + [_to_uint8(rng.poisson(x * lam) / lam)
                         for _ in range(30)]
    if perturbation == 'motion_blur':
        return [_to_uint8(motion_blur(x, 10, 3, (i - 30) * 4))
                for i in range(31)]
    if perturbation == 'zoom_blur':
        frames, total = [], np.zeros_like(x)
        for i in range(31):
            zoom = 1 + 0.004 * i
            size = int(np.ceil(crop * zoom))
            zoomed = cv2.resize(x, (size, size),
                                interpolation=cv2.INTER_LINEAR)
            total += _center_crop(zoomed, crop)
            frames.append(_to_uint8(total / (i + 1)))
        return frames
    if perturbation == 'snow':
        flakes = (rng.random(x.shape[:2]) > 0.985).astype(np.float32)
        flakes = cv2.GaussianBlur(flakes, (0, 0), 0.7)
        frames = []
        for i in range(31):
            layer = motion_blur(flakes, 14, 4, 4 * i - 150)
            layer = np.clip(layer * 6, 0, 1)[..., None]
            frames.append(_to_uint8(x * (1 - layer) + layer))
        return frames
    if perturbation == 'brightness':
        hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)
        frames = []
        for i in range(31):
            shifted = hsv.copy()
            shifted[..., 2] = np.clip(shifted[..., 2] + (i - 15) * 0.02, 0, 1)
            frames.append(_to_uint8(cv2.cvtColor(shifted,
                                                 cv2.COLOR_HSV2RGB)))
        return frames
    image256 = np.asarray(resize_short(image, resize))
    if perturbation == 'translate':
        return _affine_frames(
            image256, crop, 41, lambda i, w, h: np.float32(
                [[1, 0, (i - 20) * crop / 224], [0, 1, 0]]))
    if perturbation == 'rotate':
        return _affine_frames(
            image256, crop, 31,
            lambda i, w, h: cv2.getRotationMatrix2D((w / 2, h / 2), i - 15,
                                                    1.0))
    if perturbation == 'scale':
        return _affine_frames(
            image256, crop, 31,
            lambda i, w, h: cv2.getRotationMatrix2D((w / 2, h / 2), 0,
                                                    (2.5 * i + 40) / 100))
    if perturbation == 'tilt':
        return _affine_frames(
            image256, crop, 31,
            lambda i, w, h: _tilt_matrix(i - 15, w, h), perspective=True)
    raise ValueError(f'unknown perturbation {perturbation!r}; expected one '
                     f'of {", ".join(TEST_PERTURBATIONS)}')

