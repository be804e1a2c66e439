from .bad_images import BadImageError, SafeLoadImageFromFile
from .coco_shapes import CATEGORIES, make_coco_shapes_dataset
from .color_texture import CLASS_NAMES, make_color_texture_dataset
from .data_check import (
    DataCheckError,
    check_images,
    dataset_images,
    empty_class_folders,
    image_problem_in_file,
)

__all__ = [
    'BadImageError', 'SafeLoadImageFromFile', 'CLASS_NAMES',
    'make_color_texture_dataset', 'CATEGORIES', 'make_coco_shapes_dataset',
    'DataCheckError', 'check_images', 'dataset_images',
    'empty_class_folders', 'image_problem_in_file'
]
