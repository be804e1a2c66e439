"""gcp-mm's models in mmpretrain's model hub.

``import gcp_mm`` calls :func:`register_models`, which registers the model
index at the repository root (``model-index.yml``, importing
``configs/imagenet/metafile.yml`` and ``configs/finegrained/metafile.yml``)
through mmpretrain's public ``ModelHub.register_model_index``. After that
mmpretrain's own APIs know the models: ``mmpretrain.list_models('*gcp*')``,
``get_model(name, pretrained=PATH)`` and
``ImageClassificationInferencer(name, pretrained=PATH)``. Configs are read
only when a model is asked for (mmpretrain's ``ModelHub.get``).

No weights are downloaded: pass a checkpoint as ``pretrained``, converted
with ``tools/convert_checkpoint.py`` if it is one of the paper's released
``.pth.tar`` files (mmengine's loader does not map their names).
"""
import os.path as osp

# The repository root: the model index and the configs it names live there
# (gcp-mm is installed from its source tree, ``pip install -e .``).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL_INDEX = osp.join(REPO_ROOT, 'model-index.yml')

_registered = False


def register_models() -> bool:
    """Register gcp-mm's model index in mmpretrain's ``ModelHub``, once.
    Returns whether the models are registered (False when the index is not
    there, as in an install without the source tree)."""
    global _registered
    if not _registered and osp.isfile(MODEL_INDEX):
        from mmpretrain.apis import ModelHub
        ModelHub.register_model_index(MODEL_INDEX, config_prefix=REPO_ROOT)
        _registered = True
    return _registered
