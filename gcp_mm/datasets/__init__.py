from .coco_shapes import CATEGORIES, make_coco_shapes_dataset
from .color_texture import CLASS_NAMES, make_color_texture_dataset

__all__ = [
    'CLASS_NAMES', 'make_color_texture_dataset', 'CATEGORIES',
    'make_coco_shapes_dataset'
]
