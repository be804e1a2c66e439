from .landscape_hook import LandscapeHook, measure_landscape

__all__ = ['LandscapeHook', 'measure_landscape']
