"""A small synthetic data set where second-order statistics matter.

Each class is a Gaussian random texture whose images all have the same
per-channel mean and variance (the same first-order statistics); classes
differ only in second-order statistics:

* the correlation between the colour channels: R-G correlation +a or -a and
  G-B correlation +b or -b (R-B then follows as their product, the
  covariance of a Markov chain R-G-B, which is always positive definite);
* the orientation of the texture: smoothed along x or along y (a spatial
  covariance).

2 x 2 x 2 = 8 classes. Every image also gets a random mean colour shift and
random per-channel contrast, first-order nuisances that carry no class
information, and a random smoothing length. It is a demo, not a stand-in
for ImageNet. Images are written as PNG in the folder layout of
mmpretrain's ``CustomDataset`` (``<root>/<split>/<class>/<n>.png``).
"""
import os
from typing import Dict

import numpy as np
from PIL import Image

CLASS_NAMES = tuple(f'rg{"+" if rg > 0 else "-"}_gb{"+" if gb > 0 else "-"}'
                    f'_{axis}' for rg in (1, -1) for gb in (1, -1)
                    for axis in ('x', 'y'))


def _class_factors(index: int):
    rg = 1 if index < 4 else -1
    gb = 1 if index % 4 < 2 else -1
    axis = index % 2  # 0: smoothed along x, 1: along y
    return rg, gb, axis


def render_texture(rng: np.random.Generator, class_index: int, size: int,
                   correlation: float = 0.5) -> np.ndarray:
    """One H x W x 3 uint8 image of class ``class_index``."""
    rg, gb, axis = _class_factors(class_index)
    a, b = rg * correlation, gb * correlation
    cov = np.array([[1, a, a * b], [a, 1, b], [a * b, b, 1]])
    mix = np.linalg.cholesky(cov)
    noise = rng.standard_normal((3, size, size))
    # anisotropic Gaussian smoothing in the Fourier domain
    freq = np.fft.fftfreq(size)
    fy, fx = np.meshgrid(freq, freq, indexing='ij')
    long_len = rng.uniform(2.5, 5.0)
    short_len = rng.uniform(0.7, 1.2)
    sx, sy = (long_len, short_len) if axis == 0 else (short_len, long_len)
    kernel = np.exp(-2 * np.pi**2 * ((fx * sx)**2 + (fy * sy)**2))
    smooth = np.real(np.fft.ifft2(np.fft.fft2(noise) * kernel))
    smooth /= smooth.std(axis=(1, 2), keepdims=True) + 1e-12
    colour = np.einsum('ij,jhw->ihw', mix, smooth)
    shift = rng.uniform(-30.0, 30.0, size=(3, 1, 1))
    contrast = rng.uniform(20.0, 45.0, size=(3, 1, 1))
    image = 128.0 + shift + contrast * colour
    return np.clip(image, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def make_color_texture_dataset(root: str,
                               train_per_class: int = 64,
                               val_per_class: int = 32,
                               size: int = 64,
                               seed: int = 0) -> Dict[str, int]:
    """Write the data set under ``root`` (deterministic from ``seed``);
    returns the number of images per split. Existing files are replaced."""
    counts = {}
    for split_index, (split, per_class) in enumerate(
        (('train', train_per_class), ('val', val_per_class))):
        for class_index, name in enumerate(CLASS_NAMES):
            folder = os.path.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            rng = np.random.default_rng([seed, split_index, class_index])
            for n in range(per_class):
                Image.fromarray(render_texture(rng, class_index, size)).save(
                    os.path.join(folder, f'{n:04d}.png'))
        counts[split] = per_class * len(CLASS_NAMES)
    return counts
