"""The fine-tuning models state their ImageNet checkpoint once, for the
backbone and the GCP reduction, and offer no config key that loads
nothing (configs/finegrained/_base_/models)."""
import glob
import os

import pytest
from mmengine.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'configs', 'finegrained',
                                       '_base_', 'models', '*_gcp.py')))


@pytest.mark.parametrize('path', MODELS, ids=os.path.basename)
def test_the_checkpoint_is_stated_once(path):
    arch = os.path.basename(path)[:-len('_gcp.py')]
    expected = f'checkpoints/{arch}_gcp.pth'
    with open(path) as f:
        assert f.read().count(f"'{expected}'") == 1
    cfg = Config.fromfile(path)
    backbone, neck = cfg.model.backbone.init_cfg, cfg.model.neck.init_cfg
    assert backbone.checkpoint == neck.checkpoint == expected
    assert (backbone.prefix, neck.prefix) == ('backbone.', 'neck.')
    # the file's own name for it is not a key of the config
    assert not [key for key in cfg if 'checkpoint' in key]
