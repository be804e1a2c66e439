"""Config mistakes users make fail before training, saying what to change.
"""
import os

import pytest
from mmengine.config import Config

from gcp_mm.cli import UsageError, check_gcp_model_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def zoo(name):
    return Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                        name + '.py'))


def test_zoo_configs_pass():
    for name in ('resnet18_gcp_lrnorm', 'mobilenet_v2_gcp128_lrnorm',
                 'shufflenet_v2_gcp_lrfast', 'resnet50_gap_lrnorm'):
        check_gcp_model_config(zoo(name))


def test_head_in_channels_must_match_the_neck():
    cfg = zoo('resnet50_gcp128_lrnorm')
    cfg.model.head.in_channels = 32896
    with pytest.raises(UsageError,
                       match=r'model.head.in_channels=32896 but .*'
                       r'reduced_channels=128.*set model.head.in_channels'
                       r'=8256'):
        check_gcp_model_config(cfg, check_spatial=False)


def test_reduction_wider_than_input():
    cfg = zoo('resnet18_gcp_lrnorm')
    cfg.model.neck.reduced_channels = 1024
    with pytest.raises(UsageError, match='reduced_channels=1024 is larger'):
        check_gcp_model_config(cfg, check_spatial=False)


def test_single_position_last_stage_is_explained():
    cfg = zoo('resnet18_gcp_lrnorm')
    cfg.model.backbone.strides = (1, 2, 2, 2)  # 224 -> 7x7 still fine
    check_gcp_model_config(cfg)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        for step in loader.dataset.pipeline:
            if step.type == 'CenterCrop':
                step.crop_size = 32  # 32 / 32 -> 1x1
    with pytest.raises(UsageError, match=r'32x32 input to a 1x1 map.*'
                       r'strides=\(1, 2, 2, 1\)'):
        check_gcp_model_config(cfg)


def test_train_tool_runs_the_checks(tmp_path, run_tool_here):
    cfg = zoo('resnet18_gcp_lrnorm')
    cfg.model.head.in_channels = 100
    from gcp_mm.demo.data import make_color_texture_dataset
    make_color_texture_dataset(str(tmp_path / 'd'), 1, 1, size=16)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset = dict(type='CustomDataset',
                                   data_root=str(tmp_path / 'd'),
                                   data_prefix='val', pipeline=[])
    path = str(tmp_path / 'bad.py')
    cfg.dump(path)
    done = run_tool_here('train.py', path, '--work-dir', tmp_path / 'w',
                         check=False)
    assert done.returncode == 2
    assert 'error: model.head.in_channels=100' in done.stderr
    assert 'set model.head.in_channels=32896' in done.stderr
    assert 'Traceback' not in done.stderr
