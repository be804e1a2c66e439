from .schedulers import PolyToEndLR

__all__ = ['PolyToEndLR']
