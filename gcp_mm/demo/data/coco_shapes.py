"""A small synthetic COCO-format detection / instance segmentation set.

Filled squares, discs and triangles of random colour and size on the
colour-texture backgrounds of :mod:`gcp_mm.demo.data.color_texture`, with
boxes and polygon masks. Shapes never overlap (their circumscribed circles
are apart), so every annotation shows the whole object it describes. Files
are written as ``<root>/images/*.png`` and COCO json
(``<root>/annotations/{train,val}.json``) that mmdet's ``CocoDataset`` and
``CocoMetric`` (pycocotools) read. Deterministic from the seed.
"""
import json
import math
import os
from typing import Dict, List

import numpy as np
from PIL import Image, ImageDraw

from .color_texture import render_texture

CATEGORIES = ('square', 'disc', 'triangle')


def _polygon(kind: str, cx: float, cy: float, radius: float,
             angle: float) -> List[float]:
    corners = {'square': 4, 'disc': 24, 'triangle': 3}[kind]
    points = []
    for k in range(corners):
        theta = angle + 2 * math.pi * k / corners
        points += [cx + radius * math.cos(theta),
                   cy + radius * math.sin(theta)]
    return points


def _area(points: List[float]) -> float:
    xs, ys = np.array(points[0::2]), np.array(points[1::2])
    return float(abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1)))
                 / 2)


def _free_spot(rng: np.random.Generator, placed: List[tuple],
               radius: float, size: int, tries: int = 20):
    """A centre whose circle of ``radius`` stays inside the image and
    clear of the ``placed`` ones; None when ``tries`` draws find none."""
    for _ in range(tries):
        cx, cy = (float(v) for v in rng.uniform(radius, size - radius, 2))
        if all(math.hypot(cx - x, cy - y) >= radius + r
               for x, y, r in placed):
            return cx, cy
    return None


def make_coco_shapes_dataset(root: str,
                             num_train: int = 48,
                             num_val: int = 16,
                             size: int = 128,
                             max_objects: int = 3,
                             seed: int = 0) -> Dict[str, str]:
    """Write the data set; returns the annotation file of each split
    (relative to ``root``)."""
    os.makedirs(os.path.join(root, 'images'), exist_ok=True)
    os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
    categories = [dict(id=i + 1, name=n) for i, n in enumerate(CATEGORIES)]
    files = {}
    ann_id = 1
    for split_index, (split, count) in enumerate(
        (('train', num_train), ('val', num_val))):
        rng = np.random.default_rng([seed, split_index])
        images, annotations = [], []
        for index in range(count):
            image_id = index + 1
            canvas = Image.fromarray(
                render_texture(rng, int(rng.integers(8)), size))
            draw = ImageDraw.Draw(canvas)
            placed = []  # (cx, cy, radius) of the shapes drawn so far
            for _ in range(int(rng.integers(1, max_objects + 1))):
                kind = int(rng.integers(len(CATEGORIES)))
                radius = float(rng.uniform(0.12, 0.25) * size)
                spot = _free_spot(rng, placed, radius, size)
                if spot is None:
                    continue
                cx, cy = spot
                placed.append((cx, cy, radius))
                points = _polygon(CATEGORIES[kind], cx, cy,
                                  radius, float(rng.uniform(0, math.pi)))
                colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
                draw.polygon(points, fill=colour)
                xs, ys = points[0::2], points[1::2]
                x0, y0 = max(min(xs), 0.0), max(min(ys), 0.0)
                x1, y1 = min(max(xs), size - 1.0), min(max(ys), size - 1.0)
                annotations.append(
                    dict(id=ann_id, image_id=image_id, category_id=kind + 1,
                         bbox=[x0, y0, x1 - x0, y1 - y0],
                         area=_area(points), segmentation=[points],
                         iscrowd=0))
                ann_id += 1
            file_name = f'{split}_{index:04d}.png'
            canvas.save(os.path.join(root, 'images', file_name))
            images.append(dict(id=image_id, file_name=file_name, width=size,
                               height=size))
        files[split] = os.path.join('annotations', f'{split}.json')
        with open(os.path.join(root, files[split]), 'w') as f:
            json.dump(dict(images=images, annotations=annotations,
                           categories=categories), f)
    return files
