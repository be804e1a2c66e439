"""gcp-mm: global covariance pooling (iSQRT-COV) for OpenMMLab.

``import gcp_mm`` (or ``custom_imports=dict(imports=['gcp_mm'])`` in a
config) registers every module in mmengine's root registries, where
mmpretrain and mmdet configs find them. mmdet is optional: without it the
detection backbone is simply not registered. No third-party function is
changed by the import. It also registers gcp-mm's model index in
mmpretrain's ModelHub (``gcp_mm.models.hub``), so that mmpretrain's
``list_models``, ``get_model`` and inferencers know the models.
"""
from . import datasets, engine, models, ops  # noqa: F401
from .models.hub import register_models

register_models()  # mmpretrain.list_models('*gcp*'), get_model(name), ...

__version__ = '0.1.0'
