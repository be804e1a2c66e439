from importlib.util import find_spec

from .shufflenet_v2 import TorchInitShuffleNetV2

__all__ = ['TorchInitShuffleNetV2']

if find_spec('mmdet') is not None:  # the detection backbone needs mmdet
    from .gcp_resnet import GCPResNet  # noqa: F401
    __all__.append('GCPResNet')
