"""Editing a config for a smaller run (gcp_mm.demo.configs): data root,
input size, and the schedule compressed to fewer epochs."""
import os

import pytest
from mmengine.config import Config

from gcp_mm.demo.configs import (
    compress_schedule,
    config_on_data,
    set_data_root,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def config(*parts):
    return os.path.join(ROOT, 'configs', *parts)


def test_compressed_polylr_keeps_its_shape():
    """LRadju: lr(e) = lr0 (1 - e/T)^2 with T = end - 1 = 50 epochs; in 10
    epochs T = 10, so epoch 5 of 10 has the rate of epoch 25 of 50."""
    cfg = Config.fromfile(config('imagenet', 'resnet18_gcp_lradju.py'))
    compress_schedule(cfg, 10)
    assert cfg.train_cfg.max_epochs == 10
    (poly, ) = cfg.param_scheduler
    assert poly.end - 1 == 10


def test_compressed_multistep_and_warmup():
    cfg = Config.fromfile(config('faster_rcnn_r50_gcpm.py'))
    compress_schedule(cfg, 6)
    warmup, steps = cfg.param_scheduler
    assert warmup.end == 500  # iterations: kept
    assert steps.milestones == [4, 6] and steps.end == 7  # T = end - 1
    compress_schedule(cfg, 1)
    assert cfg.param_scheduler[1].milestones == [1, 1]


def test_the_demo_configs_state_the_compressed_recipes():
    """configs/demo write out what compress_schedule gives for the zoo's
    recipes: LRadju in 8 epochs, LRfast in 5, mmdet's 1x in 11."""
    cases = [(('imagenet', 'resnet18_gcp_lradju.py'),
              ('demo', 'resnet18_gcp_lradju_textures.py'), 8),
             (('imagenet', 'resnet18_gap_lrfast.py'),
              ('demo', 'resnet18_gap_lrfast_textures.py'), 5),
             (('faster_rcnn_r50_gcpm.py', ),
              ('demo', 'faster_rcnn_r18_gcpm_shapes.py'), 11)]
    for zoo, demo, epochs in cases:
        cfg = Config.fromfile(config(*zoo))
        compress_schedule(cfg, epochs)
        stated = Config.fromfile(config(*demo))
        assert stated.train_cfg.max_epochs == epochs
        for ours, theirs in zip(cfg.param_scheduler, stated.param_scheduler):
            if ours.get('by_epoch', True):
                assert {k: ours[k] for k in ('end', 'milestones')
                        if k in ours} == {k: theirs[k] for k in
                                          ('end', 'milestones') if k in ours}


def test_config_on_data(tmp_path):
    cfg = config_on_data(config('demo', 'faster_rcnn_r18_gcpm_shapes.py'),
                         str(tmp_path / 'shapes'), str(tmp_path / 'w'),
                         size=64, epochs=2)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == str(tmp_path / 'shapes')
        resize = [s for s in cfg[loader].dataset.pipeline
                  if s.type == 'Resize']
        assert resize[0].scale == (64, 64)
    assert cfg.val_evaluator.ann_file == str(
        tmp_path / 'shapes' / 'annotations' / 'val.json')
    assert cfg.train_cfg.max_epochs == 2 and cfg.train_cfg.val_begin == 3
    assert cfg.default_hooks.checkpoint.interval == 2
    assert cfg.work_dir == str(tmp_path / 'w')


@pytest.mark.parametrize('name', ['resnet18_gap_lradju_textures.py',
                                  'resnet18_gcp_lrfast_textures.py'])
def test_set_data_root_of_class_folders(name):
    cfg = Config.fromfile(config('demo', name))
    set_data_root(cfg, '/data/textures')
    assert {cfg[loader].dataset.data_root for loader in (
        'train_dataloader', 'val_dataloader', 'test_dataloader')} == {
            '/data/textures'}
