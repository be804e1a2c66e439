from .backbones import GCPResNet
from .heads import DropoutLinearClsHead
from .necks import GlobalCovariancePooling

__all__ = ['GlobalCovariancePooling', 'DropoutLinearClsHead', 'GCPResNet']
