from .bad_image_hook import BadImageHook, make_loading_safe
from .landscape_hook import LandscapeHook, measure_landscape

__all__ = [
    'BadImageHook', 'make_loading_safe', 'LandscapeHook', 'measure_landscape'
]
