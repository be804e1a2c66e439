"""The demo's generated data sets (also the tests' small data)."""
from .coco_shapes import CATEGORIES, make_coco_shapes_dataset
from .color_texture import (
    CLASS_NAMES,
    make_color_texture_dataset,
    render_texture,
)

__all__ = [
    'CLASS_NAMES', 'make_color_texture_dataset', 'render_texture',
    'CATEGORIES', 'make_coco_shapes_dataset'
]
