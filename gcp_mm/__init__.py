"""gcp-mm: global covariance pooling (iSQRT-COV) for OpenMMLab.

``import gcp_mm`` (or ``custom_imports=dict(imports=['gcp_mm'])`` in a
config) registers every module in mmengine's root registries, where
mmpretrain and mmdet configs find them.
"""
from . import engine, models, ops  # noqa: F401
from .compat import enable_low_precision_cpu_inputs

# mmcv's CPU nms / RoIAlign kernels lack bfloat16: run them in float32
enable_low_precision_cpu_inputs()

__version__ = '0.1.0'
