"""gcp-mm: global covariance pooling (iSQRT-COV) for OpenMMLab.

``import gcp_mm`` (or ``custom_imports=dict(imports=['gcp_mm'])`` in a
config) registers every module in mmengine's root registries, where
mmpretrain and mmdet configs find them. mmdet is optional: without it the
detection backbone is simply not registered. No third-party function is
changed by the import.
"""
from . import engine, models, ops  # noqa: F401

__version__ = '0.1.0'
