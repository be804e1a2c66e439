from .color_texture import CLASS_NAMES, make_color_texture_dataset

__all__ = ['CLASS_NAMES', 'make_color_texture_dataset']
