"""on_bad_image='skip' over a whole epoch: two bad files among good photos,
the run finishes, the warnings name both, the epoch's summary counts 2."""
import glob
import os
import shutil
import types

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from gcp_mm.datasets import BadImageError, SafeLoadImageFromFile
from gcp_mm.engine import apply_training_safety, make_loading_safe
from gcp_mm.testing import (
    free_port,
    real_photo,
    tiny_classifier_config,
    write_bad_images,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def class_folders(root):
    """train/a: 3 photos and a truncated JPEG; train/b: 3 photos and an
    empty file; the CMYK JPEG and the PNG named .jpg are good images."""
    bad = write_bad_images(str(root / 'made'))
    for name in 'ab':
        folder = root / 'train' / name
        os.makedirs(folder)
        for i in range(3):
            shutil.copyfile(real_photo(), folder / f'{i}.jpg')
    shutil.move(bad['truncated'], root / 'train' / 'a' / 'truncated.jpg')
    shutil.move(bad['cmyk'], root / 'train' / 'a' / 'cmyk.jpg')
    shutil.move(bad['empty'], root / 'train' / 'b' / 'empty.jpg')
    shutil.move(bad['png_as_jpg'], root / 'train' / 'b' / 'png_as_jpg.jpg')
    return [str(root / 'train' / 'a' / 'truncated.jpg'),
            str(root / 'train' / 'b' / 'empty.jpg')]


def run_log(work_dir):
    logs = glob.glob(os.path.join(work_dir, '*', '*.log'))
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        return f.read()


@pytest.mark.default_scope('mmpretrain')
@pytest.mark.parametrize('num_workers', [0, 1])
def test_skip_mode_finishes_the_epoch_and_lists_the_files(tmp_path,
                                                          num_workers):
    bad = class_folders(tmp_path)
    work_dir = str(tmp_path / 'work')
    cfg = tiny_classifier_config(str(tmp_path), work_dir,
                                 num_workers=num_workers)
    cfg.on_bad_image = 'skip'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 1
    assert os.path.isfile(os.path.join(work_dir, 'epoch_1.pth'))
    log = run_log(work_dir)
    for path in bad:  # a warning names each skipped file
        assert f'skipped bad image {path}: it is' in log
    summary = [line for line in log.splitlines()
               if 'epoch 1: skipped' in line]
    assert len(summary) == 1, log[-3000:]
    # a replacement drawn by mmengine may be bad too: reads >= files
    reads = log.count('skipped bad image /')
    assert f'skipped {reads} bad image reads (2 files)' in summary[0]
    assert all(os.path.basename(p) in summary[0] for p in bad)
    with open(os.path.join(work_dir, 'bad_images.txt')) as f:
        listed = sorted(line.split('\t')[0] for line in f)
    assert listed == sorted(bad)


@pytest.mark.default_scope('mmpretrain')
def test_stop_mode_is_the_default(tmp_path):
    bad = class_folders(tmp_path)
    cfg = tiny_classifier_config(str(tmp_path), str(tmp_path / 'work'))
    with pytest.raises(BadImageError) as info:
        Runner.from_cfg(cfg).train()
    assert os.path.basename(bad[0]) in info.value.line or \
        os.path.basename(bad[1]) in info.value.line


# one config per data base (and the landscape configs, which list hooks)
CONFIGS = [
    'imagenet/resnet50_gcp_lrnorm.py', 'imagenet/shufflenet_v2_gap_lrfast.py',
    'finegrained/resnet50_gcp_cub.py', 'finegrained/resnet50_gcp_cars.py',
    'finegrained/resnet50_gcp_aircraft.py', 'finegrained/resnet50_gcp_dtd.py',
    'finegrained/resnet50_gcp_custom.py', 'faster_rcnn_r50_gcpm.py',
    'mask_rcnn_r101_gcpd.py', 'landscape/resnet18_gcp_landscape.py',
    'landscape/mobilenet_v2_gap_landscape.py'
]


@pytest.mark.parametrize('name', CONFIGS)
def test_configs_read_images_safely(name):
    path = os.path.join(ROOT, 'configs', name)
    cfg = Config.fromfile(path)
    apply_training_safety(cfg)  # what tools/train.py does
    assert cfg.on_bad_image == 'stop'
    assert dict(type='BadImageHook') in cfg.custom_hooks
    assert 'gcp_mm' in cfg.custom_imports.imports


def test_stock_mmdet_pipeline_is_made_safe(tmp_path):
    # the detection configs keep mmdet's pipelines (cv2 decoding)
    cfg = Config.fromfile(os.path.join(ROOT, 'configs',
                                       'faster_rcnn_r50_gcpm.py'))
    with DefaultScope.overwrite_default_scope('mmdet'):
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    plain = pipeline.transforms[0]
    assert type(plain) is LoadImageFromFile
    dataset = types.SimpleNamespace(pipeline=pipeline)
    wrapper = types.SimpleNamespace(dataset=dataset)  # e.g. RepeatDataset
    assert make_loading_safe(wrapper, 'stop') == 1
    safe = pipeline.transforms[0]
    assert isinstance(safe, SafeLoadImageFromFile)
    photo = dict(img_path=real_photo())
    assert np.array_equal(safe(dict(photo))['img'],
                          plain(dict(photo))['img'])
    bad = write_bad_images(str(tmp_path))
    with pytest.raises(BadImageError, match=r'truncated\.jpg is truncated'):
        safe(dict(img_path=bad['truncated']))


def test_skip_summary_gathers_the_ranks(tmp_path):
    """Under DDP (torchrun, 2 CPU processes, gloo) each rank reads half of
    the files: rank 1 the truncated one, rank 0 the empty one; rank 0's
    summary counts both."""
    import subprocess
    import sys
    made = write_bad_images(str(tmp_path / 'made'))
    files = {'a': ['0.jpg', '1.jpg', '2.jpg'], 'b': ['0.jpg', '1.jpg']}
    for name, photos in files.items():
        os.makedirs(tmp_path / 'train' / name)
        for photo in photos:
            shutil.copyfile(real_photo(), tmp_path / 'train' / name / photo)
    bad = [str(tmp_path / 'train' / 'a' / 'truncated.jpg'),  # index 3
           str(tmp_path / 'train' / 'b' / 'empty.jpg')]  # index 6
    shutil.move(made['truncated'], bad[0])
    shutil.move(made['empty'], bad[1])
    work_dir = str(tmp_path / 'work')
    cfg = tiny_classifier_config(str(tmp_path), work_dir, num_workers=1)
    cfg.on_bad_image = 'skip'
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    port = free_port()
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(port),
         os.path.join(ROOT, 'tools', 'train.py'), config, '--launcher',
         'pytorch'], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = [line for line in run_log(work_dir).splitlines()
               if 'epoch 1: skipped' in line]
    assert len(summary) == 1 and '(2 files)' in summary[0], summary
    with open(os.path.join(work_dir, 'bad_images.txt')) as f:
        assert sorted({line.split('\t')[0] for line in f}) == sorted(bad)
