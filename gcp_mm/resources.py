"""Where gcp-mm's configs and model index are."""
import os.path as osp


def config_root() -> str:
    """The folder that holds ``configs/`` and ``model-index.yml``."""
    return osp.dirname(osp.dirname(osp.abspath(__file__)))
