from . import backbones
from .backbones import *  # noqa: F401,F403
from .heads import DropoutLinearClsHead
from .necks import DropCovPooling, GlobalCovariancePooling

__all__ = ['GlobalCovariancePooling', 'DropCovPooling',
           'DropoutLinearClsHead'] + backbones.__all__
