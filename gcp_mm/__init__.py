"""gcp-mm: global covariance pooling (iSQRT-COV) for OpenMMLab.

``import gcp_mm`` (or ``custom_imports=dict(imports=['gcp_mm'])`` in a
config) registers every module in mmengine's root registries, where
mmpretrain and mmdet configs find them. mmdet is optional: without it the
detection backbone is simply not registered. No third-party function is
changed by the import. It also registers gcp-mm's model index in
mmpretrain's ModelHub (``gcp_mm.models.hub``), so that mmpretrain's
``list_models``, ``get_model`` and inferencers know the models; the index
and the configs are where ``gcp_mm.resources.config_root()`` says (inside
an installed wheel, or the source checkout), and a missing index is a
warning at import.
"""
from . import datasets, engine, models, ops  # noqa: F401
from .models.hub import register_models
from .version import __version__, version_info  # noqa: F401

register_models()  # mmpretrain.list_models('*gcp*'), get_model(name), ...
