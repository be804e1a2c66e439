"""The whole config checked before anything is built, on the shipped
configs: every ``type`` resolves in its registry scope, the runner's
numbers, ``--cfg-options`` values of the wrong kind, transformer tokens
and stages against the GCP neck, unread files and top-k."""
import os

import pytest
from mmengine.config import Config

from gcp_mm.cli import UsageError, check_gcp_model_config, load_config
from gcp_mm.cli.config_types import check_config_types, check_runner_values
from gcp_mm.cli.preflight import check_topk, report_unread_files
from gcp_mm.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def config(*parts):
    return os.path.join(ROOT, 'configs', *parts)


@pytest.mark.parametrize('path', [
    ('imagenet', 'resnet50_gcp_lrnorm.py'),
    ('finegrained', 'resnet50_gcp_cub.py'),
    ('transformers', 'deit_small_gcp_adamw.py'),
    ('transformers', 'swin_tiny_gcp_adamw.py'),
    ('faster_rcnn_r50_gcpm.py', ),
    ('mask_rcnn_r50_gcpm.py', ),
])
def test_shipped_configs_resolve_every_type(path):
    cfg = Config.fromfile(config(*path))
    check_config_types(cfg)
    check_runner_values(cfg)


@pytest.mark.parametrize('key,value,path,close', [
    ('model.backbone.type', 'GCPResNt', 'model.backbone.type', 'GCPResNet'),
    ('param_scheduler.type', 'MultiStepLRR', 'param_scheduler.type',
     'MultiStepLR'),
    ('train_dataloader.sampler.type', 'DefaultSamplr',
     'train_dataloader.sampler.type', 'DefaultSampler'),
    ('default_hooks.checkpoint.type', 'CheckpointHok',
     'default_hooks.checkpoint.type', 'CheckpointHook'),
    ('val_evaluator.type', 'Acuracy', 'val_evaluator.type', 'Accuracy'),
    ('visualizer.type', 'UniversalVisualiser', 'visualizer.type',
     'UniversalVisualizer'),
    ('model.head.loss.type', 'CrossEntropyLos', 'model.head.loss.type',
     'CrossEntropyLoss'),
])
def test_a_misspelt_type_anywhere(key, value, path, close):
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'),
                      [f'{key}={value}'])
    with pytest.raises(UsageError) as info:
        check_config_types(cfg)
    line = str(info.value)
    assert line == (f"{path}: {value!r} is not registered in mmpretrain "
                    f"(nor in mmengine); did you mean '{close}'?")


def test_a_dicts_own_scope_is_used():
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'))
    cfg.custom_hooks = [dict(type='CheckInvalidLossHook', _scope_='mmdet')]
    check_config_types(cfg)  # mmdet's, not mmpretrain's
    cfg.custom_hooks[-1]['_scope_'] = 'mmpretrain'
    with pytest.raises(UsageError, match=r"'CheckInvalidLossHook' is not "
                       'registered in mmpretrain'):
        check_config_types(cfg)


def test_detection_types_resolve_in_mmdet():
    cfg = load_config(config('faster_rcnn_r50_gcpm.py'),
                      ['model.rpn_head.anchor_generator.type=AnchorGenerater'])
    with pytest.raises(UsageError, match=r"model\.rpn_head\.anchor_generator"
                       r"\.type: 'AnchorGenerater' is not registered in "
                       r"mmdet .*did you mean 'AnchorGenerator'\?"):
        check_config_types(cfg)


@pytest.mark.parametrize('option,message', [
    ('train_cfg.max_epochs=0', 'train_cfg.max_epochs=0: it must be a whole '
     'number of at least 1'),
    ('default_hooks.logger.interval=-5', 'default_hooks.logger.interval=-5'),
    ('default_hooks.checkpoint.interval=0',
     'a positive whole number (or -1: none)'),
    ('val_dataloader.batch_size=True', 'val_dataloader.batch_size=True'),
])
def test_runner_values(option, message):
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'), [option])
    with pytest.raises(UsageError) as info:
        check_runner_values(cfg)
    assert message in str(info.value)


def test_runner_values_that_are_fine():
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'), [
        'default_hooks.checkpoint.interval=-1',
        'train_dataloader.num_workers=0'])
    check_runner_values(cfg)


@pytest.mark.parametrize('option,message', [
    ("model.neck=[dict(type='GlobalCovariancePooling')]",
     '--cfg-options model.neck: the config holds a dict there, not a list; '
     'give a dict, e.g. model.neck="dict(type='),
    ('train_dataloader.batch_size=[32]',
     '--cfg-options train_dataloader.batch_size: the config holds a number '
     'there, not a list; give a number, e.g. '
     'train_dataloader.batch_size=32'),
])
def test_cfg_options_of_the_wrong_kind(option, message):
    with pytest.raises(UsageError) as info:
        load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'), [option])
    assert str(info.value).startswith(message), str(info.value)
    assert len(str(info.value)) < 300


def test_cfg_options_of_the_right_kind_pass():
    # one scheduler (a dict) may become a list of them, as mmengine takes
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'), [
        "param_scheduler=[dict(type='StepLR', step_size=1)]",
        'optim_wrapper.optimizer.lr=1', 'train_cfg.max_epochs=3'])
    assert cfg.param_scheduler[0].type == 'StepLR'
    assert cfg.optim_wrapper.optimizer.lr == 1


def test_deit_extra_tokens_are_checked_against_the_backbone():
    cfg = Config.fromfile(config('transformers', 'deit_small_gcp_adamw.py'))
    cfg.model.neck.num_extra_tokens = 2
    with pytest.raises(InputError) as info:
        check_gcp_model_config(cfg, check_spatial=False)
    assert str(info.value) == (
        'model.neck.num_extra_tokens=2, but VisionTransformer puts a class '
        'token before its patch tokens: set model.neck.num_extra_tokens=1')
    cfg.model.backbone.type = 'DistilledVisionTransformer'
    with pytest.raises(InputError, match='DistilledVisionTransformer puts a '
                       'class and a distillation token'):
        cfg.model.neck.num_extra_tokens = 1
        check_gcp_model_config(cfg, check_spatial=False)
    cfg.model.neck.num_extra_tokens = 2
    check_gcp_model_config(cfg, check_spatial=False)


@pytest.mark.parametrize('name', ['convnext_tiny_gcp_adamw.py',
                                  'swin_tiny_gcp_adamw.py'])
def test_several_stages_name_out_indices(name):
    cfg = Config.fromfile(config('transformers', name))
    cfg.model.backbone.out_indices = (0, 1, 2, 3)
    with pytest.raises(InputError) as info:
        check_gcp_model_config(cfg, check_spatial=False)
    assert 'with out_indices=(0, 1, 2, 3) outputs 4 stages, but the neck ' \
        'pools only the last stage: set model.backbone.out_indices=(3,)' \
        in str(info.value)


def test_topk_larger_than_the_classes():
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'),
                      ['model.head.num_classes=3'])
    with pytest.raises(UsageError) as info:
        check_topk(cfg, ['train_dataloader', 'val_dataloader'])
    assert str(info.value) == (
        'val_evaluator.topk=(1, 5): top-5 accuracy needs at least 5 '
        'classes, but there are 3; set --cfg-options '
        'val_evaluator.topk="(1,)"')
    cfg.val_evaluator.topk = (1, )
    check_topk(cfg, ['val_dataloader'])


def test_unread_files_are_one_warning(tmp_path, logged_warnings):
    from PIL import Image
    for name in ('a', 'b'):
        (tmp_path / 'train' / name).mkdir(parents=True)
        Image.new('RGB', (8, 8)).save(tmp_path / 'train' / name / 'x.webp')
    for i in range(3):
        (tmp_path / 'train' / 'a' / f'n{i}.txt').write_text('-')
    (tmp_path / 'train' / 'b' / 'raw.CR2').write_bytes(b'\0')
    cfg = load_config(config('imagenet', 'resnet50_gcp_lrnorm.py'), [
        f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.dataset.data_prefix=train',
        'train_dataloader.dataset.type=CustomDataset',
        'train_dataloader.dataset.ann_file='])
    assert '.webp' in cfg.train_dataloader.dataset.extensions
    counts = report_unread_files(cfg, ['train_dataloader'])
    assert counts == {'train_dataloader': 2}
    (line, ) = logged_warnings
    assert line.startswith('train_dataloader: 4 file(s) of ')
    assert '(3 .txt, 1 .cr2), e.g. ' in line
