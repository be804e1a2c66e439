from . import backbones
from .backbones import *  # noqa: F401,F403
from .heads import DropoutLinearClsHead
from .necks import GlobalCovariancePooling

__all__ = ['GlobalCovariancePooling', 'DropoutLinearClsHead'
           ] + backbones.__all__
