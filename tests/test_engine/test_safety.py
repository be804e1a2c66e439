"""Every config trains with the safeguards, decided in one place
(gcp_mm/engine/safety.py), unless it turns them off; the configs do not
restate them."""
import glob
import os

import pytest
from mmengine.config import Config

from gcp_mm.engine import SafetyConfigError, apply_training_safety

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIGS = [
    'imagenet/resnet50_gcp_lrnorm.py', 'finegrained/resnet50_gcp_cub.py',
    'finegrained/resnet50_gcp_custom.py', 'faster_rcnn_r50_gcpm.py',
    'mask_rcnn_r101_gcpd.py', 'landscape/resnet18_gcp_landscape.py',
    'transformers/deit_small_gcp_adamw.py',
    'transformers/swin_tiny_gcp_adamw.py',
    'transformers/convnext_tiny_gcp_adamw.py',
]


def hook_types(cfg):
    return [hook['type'] for hook in cfg.custom_hooks]


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_gets_the_safeguards(name):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', name))
    apply_training_safety(cfg)
    types = hook_types(cfg)
    assert types[0] == 'BadImageHook'  # before any hook reads data
    assert 'FiniteStateHook' in types and 'PreemptionHook' in types
    assert cfg.on_bad_image == 'stop'
    assert cfg.optim_wrapper.type == 'FiniteCheckOptimWrapper'
    assert cfg.default_hooks.checkpoint.type == 'SafeCheckpointHook'
    assert cfg.train_cfg.type == 'ExactResumeEpochBasedTrainLoop'
    assert 'by_epoch' not in cfg.train_cfg
    if 'landscape' in name:  # a config's own hooks stay
        assert 'LandscapeHook' in types


def test_configs_do_not_restate_the_safeguards():
    for path in glob.glob(os.path.join(ROOT, 'configs', '**', '*.py'),
                          recursive=True):
        with open(path) as f:
            text = f.read()
        for restated in ('BadImageHook', 'FiniteCheckOptimWrapper',
                         'on_bad_image ='):
            assert restated not in text, (path, restated)


def test_switching_off():
    cfg = Config(dict(
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_hooks=[dict(type='LandscapeHook')],
        training_safety=dict(nan_guard=False)))
    apply_training_safety(cfg)
    assert hook_types(cfg) == ['BadImageHook', 'LandscapeHook',
                               'PreemptionHook']
    assert 'type' not in cfg.optim_wrapper
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper'),
                      training_safety=dict(safe_image_loading=False)))
    apply_training_safety(cfg)
    assert hook_types(cfg) == ['FiniteStateHook', 'PreemptionHook']
    assert 'on_bad_image' not in cfg
    assert cfg.optim_wrapper.type == 'FiniteCheckOptimWrapper'
    with pytest.raises(SafetyConfigError, match="unknown switch 'nan_gaurd'"):
        apply_training_safety(Config(dict(
            training_safety=dict(nan_gaurd=False))))


def test_hooks_the_config_lists_are_not_doubled_and_modes_kept():
    cfg = Config(dict(
        optim_wrapper=dict(type='AmpOptimWrapper', loss_scale='dynamic'),
        on_bad_image='skip',
        custom_hooks=[dict(type='FiniteStateHook', interval=3),
                      dict(type='BadImageHook', on_bad_image='skip')],
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2)))
    apply_training_safety(cfg)
    assert hook_types(cfg) == ['FiniteStateHook', 'BadImageHook',
                               'PreemptionHook']
    assert cfg.custom_hooks[0].interval == 3
    assert cfg.on_bad_image == 'skip'
    assert cfg.optim_wrapper.type == 'GuardedAmpOptimWrapper'
    assert cfg.train_cfg == dict(type='ExactResumeEpochBasedTrainLoop',
                                 max_epochs=2)
