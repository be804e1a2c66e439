"""The twelve Faster / Mask R-CNN configs build, and train and test on a
generated COCO-format set on CPU (docs/reference.md section 7)."""
import os
import re
import shutil

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import Runner

import gcp_mm  # noqa: F401
from gcp_mm.testing import detector_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DETECTION_CONFIGS = [
    f'{task}_r{depth}_{backbone}' for task in ('faster_rcnn', 'mask_rcnn')
    for depth in (50, 101) for backbone in ('gap', 'gcpd', 'gcpm')
]


def config_path(name):
    return os.path.join(ROOT, 'configs', name + '.py')


@pytest.mark.parametrize('name', DETECTION_CONFIGS)
def test_config_builds_with_the_right_backbone(name):
    cfg = Config.fromfile(config_path(name))
    assert cfg.auto_scale_lr.enable and cfg.auto_scale_lr.base_batch_size \
        == 16
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.train_cfg.max_epochs == 12
    steps = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert steps[0].milestones == [8, 11]
    backbone = cfg.model.backbone
    depth = int(re.search(r'_r(\d+)_', name).group(1))
    assert backbone.depth == depth
    if name.endswith('gap'):
        assert backbone.type == 'ResNet'
        return
    assert backbone.type == 'GCPResNet'
    assert backbone.variant == name[-1].upper()
    assert backbone.init_cfg.checkpoint == \
        f'checkpoints/resnet{depth}_gcp.pth'
    backbone = dict(backbone, init_cfg=None)
    model = MODELS.build(dict(cfg.model, backbone=backbone))
    assert type(model.backbone).__name__ == 'GCPResNet'
    assert model.with_mask == name.startswith('mask')


# The two bases as they were before their shared recipe moved into
# _base_/detection_1x.py: mmdet's whole 1x config plus gcp-mm's two lines.
BASES_BEFORE = {
    'faster_rcnn_1x.py': 'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    'mask_rcnn_1x.py': 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'}
RECIPE_BEFORE = (
    "custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)\n"
    'auto_scale_lr = dict(enable=True, base_batch_size=16)\n')


@pytest.fixture(scope='module')
def configs_before(tmp_path_factory):
    """A copy of configs/ whose two detection bases are written as they
    were before (BASES_BEFORE): the 12 configs and the demo's detector
    resolved from it are what they resolved to then."""
    root = tmp_path_factory.mktemp('before') / 'configs'
    shutil.copytree(os.path.join(ROOT, 'configs'), root)
    shutil.rmtree(root / '_base_')
    (root / '_base_').mkdir()
    for base, mmdet_config in BASES_BEFORE.items():
        (root / '_base_' / base).write_text(
            f"_base_ = 'mmdet::{mmdet_config}'\n" + RECIPE_BEFORE)
    return root


def differences(a, b, path=''):
    """The dotted keys where two resolved configs differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b), key=str)
                for d in differences(a.get(key, '<missing>'),
                                     b.get(key, '<missing>'),
                                     f'{path}.{key}' if path else str(key))]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) \
            and len(a) == len(b) and type(a) is type(b):
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in differences(x, y, f'{path}[{i}]')]
    return [] if a == b and type(a) is type(b) else [path]


@pytest.mark.parametrize('name', DETECTION_CONFIGS +
                         ['demo/faster_rcnn_r18_gcpm_shapes'])
def test_shared_base_resolves_as_before(configs_before, name):
    """Every field of each detection config (and the demo's detector) is
    what it was when each base inherited mmdet's whole 1x config."""
    now = Config.fromfile(config_path(name)).to_dict()
    before = Config.fromfile(str(configs_before / (name + '.py'))).to_dict()
    assert len(now) > 15  # model, data, schedule and runtime keys
    assert differences(now, before) == []


def test_the_two_bases_share_their_recipe_in_one_file():
    base = os.path.join(ROOT, 'configs', '_base_')
    for name in BASES_BEFORE:
        text = open(os.path.join(base, name)).read()
        assert "'./detection_1x.py'" in text
        assert 'custom_imports' not in text and 'auto_scale_lr' not in text
    recipe = Config.fromfile(os.path.join(base, 'detection_1x.py'))
    assert recipe.custom_imports.imports == ['gcp_mm']
    assert recipe.auto_scale_lr == dict(enable=True, base_batch_size=16)


def test_user_config_overriding_only_the_backbone(tmp_path):
    """The README's example: a stock mmdet config + custom_imports."""
    cfg_file = tmp_path / 'my_faster_rcnn.py'
    cfg_file.write_text(
        "_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'\n"
        "custom_imports = dict(imports=['gcp_mm'], "
        "allow_failed_imports=False)\n"
        "model = dict(backbone=dict(type='GCPResNet', variant='M', "
        "init_cfg=None))\n")
    cfg = Config.fromfile(str(cfg_file))
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2, 1]


@pytest.fixture(scope='module')
def coco_shapes(tmp_path_factory):
    from gcp_mm.demo.data import make_coco_shapes_dataset
    root = str(tmp_path_factory.mktemp('coco_shapes'))
    make_coco_shapes_dataset(root, num_train=4, num_val=2, size=96)
    return root


@pytest.mark.default_scope('mmdet')
@pytest.mark.parametrize('name', ['faster_rcnn_r50_gcpd',
                                  'faster_rcnn_r50_gcpm',
                                  'mask_rcnn_r50_gcpd', 'mask_rcnn_r50_gcpm'])
def test_trains_and_tests_on_generated_coco(coco_shapes, tmp_path, name):
    cfg = detector_config(config_path(name), coco_shapes,
                                     str(tmp_path), size=96, epochs=1)
    cfg.model.backbone.init_cfg = None  # no ImageNet weights here
    cfg.train_dataloader.batch_size = 2
    runner = Runner.from_cfg(cfg)
    runner.train()  # 2 iterations
    losses = runner.message_hub.get_scalar('train/loss')
    assert len(losses.data[0]) == 2
    assert torch.isfinite(torch.tensor(losses.data[0])).all()
    metrics = runner.test()
    expected = {f'coco/bbox_{k}'
                for k in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m',
                          'mAP_l')}
    if name.startswith('mask'):
        expected |= {k.replace('bbox', 'segm') for k in expected}
    assert expected <= set(metrics)


def test_missing_coco_path_is_named(tmp_path, run_tool):
    done = run_tool('train.py', config_path('faster_rcnn_r50_gcpm'),
                    '--work-dir', tmp_path / 'w', check=False)
    assert done.returncode == 2
    assert re.search(r'data/coco/annotations/instances_train2017\.json.*'
                     r'train_dataloader\.dataset\.data_root', done.stderr)
    assert not (tmp_path / 'w').exists()
