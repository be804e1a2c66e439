from .necks import GlobalCovariancePooling

__all__ = ['GlobalCovariancePooling']
