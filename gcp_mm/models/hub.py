"""gcp-mm's models in mmpretrain's model hub.

``import gcp_mm`` calls :func:`register_models`, which registers gcp-mm's
model index (``model-index.yml``, importing
``configs/imagenet/metafile.yml`` and ``configs/finegrained/metafile.yml``)
through mmpretrain's public ``ModelHub.register_model_index``. The index
and the configs are found by :func:`gcp_mm.resources.config_root`: inside
the installed package (``gcp_mm/.mim``, as OpenMMLab packages ship theirs)
or in the source checkout. After that mmpretrain's own APIs know the
models: ``mmpretrain.list_models('*gcp*')``,
``get_model(name, pretrained=PATH)`` and
``ImageClassificationInferencer(name, pretrained=PATH)``. Configs are read
only when a model is asked for (mmpretrain's ``ModelHub.get``).

No weights are downloaded: pass a checkpoint as ``pretrained``, converted
with ``tools/convert_checkpoint.py`` if it is one of the paper's released
``.pth.tar`` files (mmengine's loader does not map their names).
"""
import os.path as osp
import warnings

from ..resources import config_root

_registered = False
_warned = False


def register_models() -> bool:
    """Register gcp-mm's model index in mmpretrain's ``ModelHub``, once.

    Returns whether the models are registered. When the index is missing
    (an install whose wheel was built without it) it warns, once, naming
    the path it looked for, and returns False: mmpretrain then does not
    know gcp-mm's model names."""
    global _registered, _warned
    if _registered:
        return True
    root = config_root()
    index = osp.join(root, 'model-index.yml')
    if not osp.isfile(index):
        if not _warned:
            _warned = True
            warnings.warn(
                f'gcp-mm model index not found: {index}. mmpretrain\'s '
                'list_models, get_model and inferencers will not know '
                "gcp-mm's models; reinstall gcp-mm from a wheel built by "
                'its setup.py (it carries configs/ and model-index.yml in '
                'gcp_mm/.mim) or use a source checkout.', stacklevel=2)
        return False
    from mmpretrain.apis import ModelHub
    ModelHub.register_model_index(index, config_prefix=root)
    _registered = True
    return True
