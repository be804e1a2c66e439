from .bad_images import BadImageError, SafeLoadImageFromFile
from .data_check import (
    DataCheckError,
    check_images,
    dataset_images,
    empty_class_folders,
    image_problem_in_file,
)

__all__ = [
    'BadImageError', 'SafeLoadImageFromFile',
    'DataCheckError', 'check_images', 'dataset_images',
    'empty_class_folders', 'image_problem_in_file'
]
