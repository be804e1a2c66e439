"""The checks before a fine-grained run is built (gcp_mm.cli.preflight):
data layouts, ImageNet checkpoints, class folders, one-line answers."""
import os

import pytest
import torch
from test_configs import finegrained_data as fd
from test_configs.test_finegrained_configs import (
    BENCHMARKS,
    DATASETS_,
    load,
    tiny_config,
)

from gcp_mm.cli import UsageError, build_runner
from gcp_mm.errors import InputError

# the tests build Runners in-process (tests/conftest.py)
pytestmark = pytest.mark.default_scope('mmpretrain')


def test_missing_data_root(tmp_path):
    cfg = tiny_config('resnet50_gcp_cub', str(tmp_path / 'CUB_200_2011'),
                      'unused.pth', tmp_path)
    with pytest.raises(InputError, match=r'train_dataloader: data_root not '
                       r'found: .*CUB_200_2011.*train_dataloader\.dataset\.'
                       r'data_root'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


@pytest.mark.parametrize('data', BENCHMARKS)
def test_data_root_one_level_too_high(data, tiny_data, tmp_path):
    root, _ = tiny_data(data)
    cfg = tiny_config(f'resnet50_gcp_{data}', os.path.dirname(root),
                      'unused.pth', tmp_path)
    with pytest.raises(InputError, match=rf'train_dataloader: '
                       rf'{DATASETS_[data][0]} data not found: .*data_root '
                       r'must be'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_missing_imagenet_checkpoint(tiny_data, tmp_path):
    root, _ = tiny_data('cub')
    cfg = tiny_config('resnet50_gcp_cub', root, str(tmp_path / 'gone.pth'),
                      tmp_path)
    with pytest.raises(InputError, match=r'model\.backbone\.init_cfg\.'
                       r'checkpoint: checkpoint not found: .*gone\.pth; '
                       r'convert .*tools/convert_checkpoint\.py'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_released_file_needs_conversion_first(tiny_data, tmp_path):
    from gcp_mm.testing import reference_net, save_released
    root, _ = tiny_data('cub')
    released = str(tmp_path / 'iSQRT-COV-ResNet18.pth.tar')
    save_released(reference_net('resnet18', 'gcp', randomize=False),
                  released, 'resnet18')
    cfg = tiny_config('resnet50_gcp_cub', root, released, tmp_path)
    with pytest.raises(UsageError, match=r'model\.backbone\.init_cfg\.'
                       r'checkpoint: .* has no backbone\.\* weights; it '
                       r'looks like a released resnet18 gcp file: convert '
                       r'it with tools/convert_checkpoint\.py first'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_checkpoint_of_another_architecture(imagenet_checkpoint, tiny_data,
                                            tmp_path):
    root, _ = tiny_data('cub')
    cfg = tiny_config('resnet101_gcp_cub', root,
                      imagenet_checkpoint('resnet50_gcp'), tmp_path)
    with pytest.raises(UsageError, match=r'model\.backbone\.init_cfg\.'
                       r'checkpoint: .* does not fit model\.backbone: '
                       r'missing keys .*layer3\.6\.'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_backbone_and_neck_from_different_files(imagenet_checkpoint,
                                                tiny_data, tmp_path):
    root, _ = tiny_data('cub')
    cfg = tiny_config('resnet50_gcp_cub', root,
                      imagenet_checkpoint('resnet50_gcp'), tmp_path)
    cfg.model.neck.init_cfg.checkpoint = str(tmp_path / 'other.pth')
    torch.save({}, cfg.model.neck.init_cfg.checkpoint)
    with pytest.raises(UsageError, match=r'model\.backbone\.init_cfg\.'
                       r'checkpoint and model\.neck\.init_cfg\.checkpoint '
                       r'name different files'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


@pytest.mark.parametrize('num_classes', [None, 2])
def test_custom_num_classes_must_cover_the_class_folders(
        num_classes, tiny_data, tmp_path):
    root, _ = tiny_data('custom')
    cfg = tiny_config('resnet50_gcp_custom', root, 'unused.pth', tmp_path,
                      num_classes=num_classes)
    problem = 'is not set' if num_classes is None else '=2 is too small'
    with pytest.raises(UsageError, match=rf'model\.head\.num_classes '
                       rf'{problem}: .*train has 3 class folders; set '
                       r'num_classes = 3 in the config \(or --cfg-options '
                       r'model\.head\.num_classes=3\)'):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_custom_splits_need_the_same_class_folders(tmp_path):
    fd.make_class_folders(str(tmp_path / 'data'), ('heron', 'ibis'))
    fd.make_class_folders(str(tmp_path / 'data'), ('stork', ), val=0)
    cfg = tiny_config('resnet50_gcp_custom', str(tmp_path / 'data'),
                      'unused.pth', tmp_path, num_classes=3)
    with pytest.raises(UsageError, match=r"val_dataloader: .*val has the "
                       r"class folders \['heron', 'ibis'\], but .*train has "
                       r"\['heron', 'ibis', 'stork'\]"):
        build_runner(cfg, ['train_dataloader', 'val_dataloader'])


def test_train_tool_reports_a_missing_checkpoint_in_one_line(
        tiny_data, tmp_path, run_tool_here):
    """train.py's main() in-process (the tool runs as users run it in
    tests/test_tools/test_user_errors.py and test_resume.py)."""
    root, _ = tiny_data('cars')
    cfg = load('resnet50_gcp_cars')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    missing = str(tmp_path / 'checkpoints' / 'resnet50_gcp.pth')
    cfg.model.backbone.init_cfg.checkpoint = missing
    cfg.model.neck.init_cfg.checkpoint = missing
    config = str(tmp_path / 'cars.py')
    cfg.dump(config)
    done = run_tool_here('train.py', config, '--work-dir',
                         tmp_path / 'work', check=False)
    assert done.returncode == 2 and 'Traceback' not in done.stderr
    errors = [line for line in done.stderr.splitlines()
              if line.startswith('error: ')]
    assert errors == [
        'error: model.backbone.init_cfg.checkpoint: checkpoint not found: '
        f'{missing}; convert the released ImageNet '
        'weights with tools/convert_checkpoint.py (or train them with '
        'configs/imagenet), or set --cfg-options '
        'model.backbone.init_cfg.checkpoint=PATH '
        'model.neck.init_cfg.checkpoint=PATH']
    assert not (tmp_path / 'work').exists()




def test_one_file_under_two_spellings_is_one_file(imagenet_checkpoint,
                                                  tiny_data, tmp_path,
                                                  monkeypatch):
    from gcp_mm.cli import check_pretrained_backbone
    root, _ = tiny_data('cub')
    absolute = imagenet_checkpoint('resnet50_gcp')
    cfg = tiny_config('resnet50_gcp_cub', root, absolute, tmp_path)
    monkeypatch.chdir(os.path.dirname(absolute))
    cfg.model.neck.init_cfg.checkpoint = os.path.join(
        '.', os.path.basename(absolute))
    check_pretrained_backbone(cfg)  # no "different files"


def test_fine_tuning_says_what_it_loads_and_keeps(imagenet_checkpoint,
                                                  tiny_data, tmp_path,
                                                  monkeypatch):
    import mmengine.logging

    from gcp_mm.cli import check_pretrained_backbone
    root, _ = tiny_data('cub')
    checkpoint = imagenet_checkpoint('resnet50_gcp')
    cfg = tiny_config('resnet50_gcp_cub', root, checkpoint, tmp_path)
    lines = []
    monkeypatch.setattr(mmengine.logging, 'print_log',
                        lambda msg, **kwargs: lines.append(msg))
    check_pretrained_backbone(cfg)
    (line, ) = [line for line in lines if checkpoint in line]
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    expected = sum(1 for k in model.state_dict()
                   if k.startswith(('backbone.', 'neck.')))
    num_classes = cfg.model.head.num_classes
    assert line == (
        f'{checkpoint}: {expected} tensors load into backbone, neck; kept '
        f'at their initialisation: head.fc: 1000 classes in the file, '
        f'{num_classes} in the model')
