from .gcp import GlobalCovariancePooling

__all__ = ['GlobalCovariancePooling']
