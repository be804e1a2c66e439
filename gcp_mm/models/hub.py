"""gcp-mm's models in mmpretrain's model hub.

``import gcp_mm`` calls :func:`register_models`, which registers the image
classification models of gcp-mm's model index (``model-index.yml``,
importing ``configs/imagenet/metafile.yml``,
``configs/finegrained/metafile.yml`` and
``configs/detection_metafile.yml``) in mmpretrain's ``ModelHub``. The
detection entries stay out: mmpretrain cannot build them (they are in
the index as mmdet's metafiles are in mmdet's, for ``mim`` and readers).
The index and the configs are found by
:func:`gcp_mm.resources.config_root`: inside the installed package
(``gcp_mm/.mim``, as OpenMMLab packages ship theirs) or in the source
checkout. After that mmpretrain's own APIs know the models:
``mmpretrain.list_models('*gcp*')``, ``get_model(name, pretrained=PATH)``
and ``ImageClassificationInferencer(name, pretrained=PATH)``. Configs are
read only when a model is asked for (mmpretrain's ``ModelHub.get``).

A model's name is its config's file name (``resnet50_gcp_lrnorm``), as in
mmpretrain. The names of gcp-mm 0.1 (``resnet50-gcp_8xb32-lrnorm_in1k``,
each entry's ``Deprecated Alias``) are still found, for one release, with a
``FutureWarning`` that names the new name; they are not listed.

No weights are downloaded: pass a checkpoint as ``pretrained``, converted
with ``tools/convert_checkpoint.py`` if it is one of the paper's released
``.pth.tar`` files (mmengine's loader does not map their names).
"""
import difflib
import os.path as osp
import warnings
from typing import Optional

import yaml

from ..resources import config_root

TASK = 'Image Classification'  # the entries mmpretrain's hub can build
ALIAS_FIELD = 'Deprecated Alias'

_registered = False
_warned = False


def renamed_message(old: str, new: str) -> str:
    return (f"gcp-mm model name '{old}' is deprecated and will be removed "
            f"in the next release; use '{new}' (its config's name)")


class ModelsWithAliases(dict):
    """mmpretrain's table of models by lower-case name
    (``ModelHub._models_dict``) that also finds a model by its deprecated
    alias: the lookup (``ModelHub.get``, ``ModelHub.has``) warns and
    answers for the new name. Iterating it, as ``list_models`` does, gives
    current names only."""

    def __init__(self, models: dict, aliases: dict):
        super().__init__(models)
        self.aliases = aliases  # lower-case old name -> new name

    def current_name(self, name):
        new = self.aliases.get(name) if isinstance(name, str) else None
        if new is None or dict.__contains__(self, name):
            return name
        warnings.warn(renamed_message(name, new), FutureWarning,
                      stacklevel=4)
        return new.lower()

    def get(self, name, default=None):
        return super().get(self.current_name(name), default)

    def __contains__(self, name):
        return super().__contains__(self.current_name(name))


def closest_model_name(name: str) -> Optional[str]:
    """The model name of mmpretrain's hub closest to the unknown ``name``,
    or None. A name closest to a deprecated alias gives the alias's new
    name, so a misspelt old name leads to the current one."""
    from mmpretrain.apis import ModelHub, list_models
    aliases = getattr(ModelHub._models_dict, 'aliases', {})
    close = difflib.get_close_matches(name.lower(),
                                      list_models() + list(aliases), n=1)
    return aliases.get(close[0], close[0]) if close else None


def classification_metafiles(root: str) -> dict:
    """metafile path -> its entries (as read from YAML), for each metafile
    that ``model-index.yml`` under ``root`` imports whose models are all
    image classification ones (mmpretrain's hub can build them)."""
    with open(osp.join(root, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    metafiles = {}
    for path in imports:
        with open(osp.join(root, path)) as f:
            entries = yaml.safe_load(f)['Models']
        if all(is_classifier(entry) for entry in entries):
            metafiles[path] = entries
    return metafiles


def is_classifier(entry: dict) -> bool:
    return any(result.get('Task') == TASK
               for result in entry.get('Results') or [])


def register_models() -> bool:
    """Register gcp-mm's image classification models (and their deprecated
    aliases) in mmpretrain's ``ModelHub``, once.

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
    if not isinstance(ModelHub._models_dict, ModelsWithAliases):
        ModelHub._models_dict = ModelsWithAliases(ModelHub._models_dict, {})
    for path, entries in classification_metafiles(root).items():
        ModelHub.register_model_index(osp.join(root, path),
                                      config_prefix=root)
        ModelHub._models_dict.aliases.update(
            (entry[ALIAS_FIELD].lower(), entry['Name'])
            for entry in entries if ALIAS_FIELD in entry)
    _registered = True
    return True
