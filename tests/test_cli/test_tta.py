"""Test-time augmentation (gcp_mm.cli.tta, tools/test.py --tta): the
fine-grained configs' centre crop + mirror against an independent
computation, and mmpretrain's defaults for other configs."""
import copy
import json
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from test_configs.test_finegrained_configs import (
    ROOT,
    TOLERANCE,
    decisive,
    independent_tta_scores,
    rgb,
    run_pipeline,
    tiny_config,
)
from test_configs.test_preprocessing import PHOTOS

from gcp_mm.cli import UsageError, apply_tta

# the tests build Runners in-process (tests/conftest.py)
pytestmark = pytest.mark.default_scope('mmpretrain')


def test_test_tool_tta(tiny_data, tmp_path, run_tool_here):
    """tools/test.py --tta on a checkpoint of the fine-tuned model, with the
    ImageNet checkpoint absent (testing does not read it)."""
    root, samples = tiny_data('cars')
    cfg = tiny_config('resnet50_gcp_cars', root, 'checkpoints/absent.pth',
                      tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'init.pth')
    checkpoint = decisive(cfg, str(tmp_path / 'init.pth'),
                          str(tmp_path / 'cars.pth'))
    config = str(tmp_path / 'cars.py')
    cfg.dump(config)
    out = tmp_path / 'metrics.json'
    printed = run_tool_here('test.py', config, checkpoint, '--tta', '--out',
                            out, '--work-dir', tmp_path / 'test').stdout
    metrics = json.loads(out.read_text())
    scores, centre = independent_tta_scores(cfg, checkpoint)
    assert not any(torch.allclose(centre[p], scores[p], **TOLERANCE)
                   for p in scores)  # the mirror matters
    correct = sum(int(scores[p].argmax()) == label
                  for p, label in samples['test'])
    assert metrics['accuracy/top1'] == pytest.approx(
        100 * correct / len(samples['test']))
    assert f"top-1: {metrics['accuracy/top1']:.2f}" in printed


def test_tta_defaults_for_other_configs():
    """--tta on a zoo config: mmpretrain's default, the test image and its
    mirror; on a detection config without TTA settings: an error."""
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                       'resnet18_gcp_lrnorm.py'))
    test_pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    model = copy.deepcopy(cfg.model)
    apply_tta(cfg)
    assert cfg.model == dict(type='mmpretrain.AverageClsScoreTTA',
                             module=model)
    views = run_pipeline(cfg.test_dataloader.dataset.pipeline, PHOTOS[0])
    single = run_pipeline(test_pipeline, PHOTOS[0])['inputs']
    assert [rgb(v).tolist() for v in views['inputs']] == [
        rgb(single).tolist(), rgb(single)[:, ::-1].tolist()]
    with pytest.raises(UsageError, match='already wraps'):
        apply_tta(cfg)
    detection = Config.fromfile(os.path.join(ROOT, 'configs',
                                             'faster_rcnn_r50_gcpm.py'))
    with pytest.raises(UsageError, match=r'--tta: .*faster_rcnn_r50_gcpm\.py '
                       r'defines no tta_model and tta_pipeline'):
        apply_tta(detection)


def test_tta_evaluates_at_the_test_pipelines_size(tiny_data, tmp_path):
    """The fine-grained configs' tta_pipeline reads 448 px; a test pipeline
    set to 224 by the user is what --tta evaluates at."""
    from gcp_mm.cli import load_config, pipeline_input_size
    root, _ = tiny_data('cub')
    config = os.path.join(ROOT, 'configs', 'finegrained',
                          'resnet50_gcp_cub.py')
    assert pipeline_input_size(Config.fromfile(config).tta_pipeline) == 448
    cfg = load_config(config, [
        'test_dataloader.dataset.pipeline.1.scale=256',
        'test_dataloader.dataset.pipeline.2.crop_size=224'])
    apply_tta(cfg)
    views = run_pipeline(cfg.test_dataloader.dataset.pipeline, PHOTOS[0])
    assert [tuple(v.shape) for v in views['inputs']] == [(3, 224, 224)] * 2
    resize = [s for s in cfg.tta_pipeline if s.type == 'ResizeEdge']
    assert resize[0].scale == 256
