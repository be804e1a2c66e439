"""Backbones that pool before the GCP neck are refused before anything is
built, with the fix in the message."""
import os
import shutil

import pytest
from mmengine.config import Config

from gcp_mm.cli import UsageError, check_gcp_model_config
from gcp_mm.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def mmpretrain_default_with_gcp(name, in_channels):
    """mmpretrain's own config with only the neck swapped for GCP."""
    import mmpretrain
    cfg = Config.fromfile(os.path.join(
        os.path.dirname(mmpretrain.__file__), '.mim', 'configs', name))
    cfg.model.neck = dict(type='GlobalCovariancePooling',
                          in_channels=in_channels, reduced_channels=256)
    cfg.model.head.in_channels = 32896
    return cfg


@pytest.mark.parametrize('name,in_channels,fix', [
    ('convnext/convnext-tiny_32xb128_in1k.py', 768,
     'set model.backbone.gap_before_final_norm=False'),
    ('deit/deit-small_4xb256_in1k.py', 384,
     "set model.backbone.out_type='featmap'"),
])
def test_default_pooling_backbones_are_refused(name, in_channels, fix):
    cfg = mmpretrain_default_with_gcp(name, in_channels)
    with pytest.raises(InputError, match='pooled') as err:
        check_gcp_model_config(cfg, check_spatial=False)
    assert fix in str(err.value)
    assert '\n' not in str(err.value)


@pytest.mark.parametrize('folder,name', [
    ('transformers', 'convnext_tiny_gcp_adamw'),
    ('transformers', 'swin_tiny_gcp_adamw'),
    ('transformers', 'deit_small_gcp_adamw'),
    ('dropcov', 'resnet50_dropcov_lrnorm'),
])
def test_shipped_configs_pass(folder, name):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', folder, name + '.py'))
    check_gcp_model_config(cfg)  # builds the backbone, 224 px dummy input


def test_token_head_size_counts_the_class_token():
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'transformers',
                                       'deit_small_gcp_adamw.py'))
    cfg.model.head.in_channels = 32896
    with pytest.raises(UsageError, match='set model.head.in_channels=33280'):
        check_gcp_model_config(cfg, check_spatial=False)


def test_train_tool_refuses_before_the_runner(tmp_path, run_tool_here):
    cfg = mmpretrain_default_with_gcp(
        'convnext/convnext-tiny_32xb128_in1k.py', 768)
    cfg.custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset = dict(type='CustomDataset',
                                   data_root=str(tmp_path),
                                   data_prefix='', pipeline=[])
    (tmp_path / 'a').mkdir()
    from gcp_mm.testing import real_photo
    shutil.copy(real_photo(), tmp_path / 'a' / 'photo.jpg')
    path = str(tmp_path / 'convnext_gcp.py')
    cfg.dump(path)
    done = run_tool_here('train.py', path, '--work-dir', tmp_path / 'w',
                         check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert 'gap_before_final_norm=False' in done.stderr
    assert 'Traceback' not in done.stderr
    assert not (tmp_path / 'w').exists() or not any(
        (tmp_path / 'w').rglob('*.log'))
