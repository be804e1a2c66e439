"""Registered runtime parts (as mmpretrain's ``engine``): hooks, optimizer
wrappers and learning-rate schedulers."""
from .hooks import (
    BadImageHook,
    LandscapeHook,
    make_loading_safe,
    measure_landscape,
)
from .optim_wrappers import CPUAmpOptimWrapper, FiniteCheckOptimWrapper
from .schedulers import PolyToEndLR

__all__ = [
    'PolyToEndLR', 'LandscapeHook', 'measure_landscape', 'BadImageHook',
    'make_loading_safe',
    'FiniteCheckOptimWrapper', 'CPUAmpOptimWrapper'
]
