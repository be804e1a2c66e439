"""Where gcp-mm's configs and model index are, wherever it is installed.

An installed wheel carries them inside the package, as OpenMMLab packages
do: ``gcp_mm/.mim/configs/...`` and ``gcp_mm/.mim/model-index.yml``
(setup.py copies them there when it builds). A source checkout (an editable
install, or the checkout on ``PYTHONPATH``) has them at its root, next to
the ``gcp_mm`` folder. :func:`config_root` is the one place that knows
this; the model hub, the demo and the tools ask it.
"""
import os.path as osp

_PACKAGE_DIR = osp.dirname(osp.abspath(__file__))


def config_root() -> str:
    """The folder that holds ``configs/`` and ``model-index.yml``:
    ``gcp_mm/.mim`` when the package was installed from a wheel, else the
    source checkout the package is imported from. The model index's config
    paths (``configs/imagenet/...``) are relative to it."""
    installed = osp.join(_PACKAGE_DIR, '.mim')
    if osp.isdir(installed):
        return installed
    return osp.dirname(_PACKAGE_DIR)


def model_index_path() -> str:
    """``model-index.yml`` of :func:`config_root` (it may be missing in a
    broken install: the caller checks)."""
    return osp.join(config_root(), 'model-index.yml')


def config_path(*parts: str) -> str:
    """A path under ``configs/``, e.g. ``config_path('imagenet')`` or
    ``config_path('imagenet', 'resnet50_gcp_lrnorm.py')``."""
    return osp.join(config_root(), 'configs', *parts)
