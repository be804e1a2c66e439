"""tools/train.py's safeguards in real runs: a learning rate that blows up
never leaves a non-finite checkpoint, a full disk never tears one; and (its
main() in this interpreter) a transformer config, which lists no safeguard
itself, skips a bad image."""
import glob
import os
import shutil
import subprocess
import sys
import uuid

import pytest
import torch

from gcp_mm.checkpoint import load_checkpoint_file
from gcp_mm.engine import last_checkpoint
from gcp_mm.testing import (
    small_training_config,
    tiny_classifier_config,
    write_bad_images,
    write_small_jpegs,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, 'tools', 'train.py')


def train(*args):
    return subprocess.run([sys.executable, TRAIN, *map(str, args)],
                          capture_output=True, text=True, timeout=600,
                          cwd=ROOT)


def error_line(done):
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-3000:]
    assert 'Traceback' not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith('error: ') and len(line) < 300, line
    return line


def all_tensors_finite(checkpoint):
    tensors = [checkpoint['state_dict'], checkpoint.get('optimizer')]
    stack = list(tensors)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, torch.Tensor) and item.is_floating_point():
            if not torch.isfinite(item).all():
                return False
    return True


@pytest.fixture(scope='module')
def blown_up_run(tmp_path_factory):
    """One real run whose learning rate blows up after epoch 1: the NaN
    guard's test reads its refusal, and its good epoch_1.pth gives the full
    disk test the size of a checkpoint (was a run of its own)."""
    root = tmp_path_factory.mktemp('blown_up')
    cfg = small_training_config(str(root / 'data'), 'unused', epochs=4)
    # as in the issue: a schedule that jumps by 1e7 after epoch 1
    cfg.param_scheduler = dict(type='MultiStepLR', by_epoch=True,
                               milestones=[1], gamma=1e7)
    cfg.dump(str(root / 'cfg.py'))
    work_dir = root / 'work'
    return work_dir, train(root / 'cfg.py', '--work-dir', work_dir)


def test_a_blown_up_learning_rate_never_saves_a_non_finite_state(
        blown_up_run):
    work_dir, done = blown_up_run
    line = error_line(done)
    assert 'non-finite' in line
    assert 'the last good checkpoint is epoch_1.pth (--resume)' in line
    saved = sorted(glob.glob(str(work_dir / '*.pth')))
    assert saved == [str(work_dir / 'epoch_1.pth')]
    assert last_checkpoint(str(work_dir)) == saved[0]
    for path in saved:
        assert all_tensors_finite(load_checkpoint_file(path)), path


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of the given size (root may mount one; elsewhere the fake
    full disk of tests/test_engine/test_checkpoint_files.py covers it)."""
    mounted = []

    def mount(size):
        folder = tmp_path / f'disk{uuid.uuid4().hex[:6]}'
        os.makedirs(folder)
        done = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}',
                               'tmpfs', str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip('cannot mount a tmpfs here (needs root)')
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(['umount', str(folder)], check=False)


def test_a_full_disk_keeps_the_last_checkpoint(tmp_path, small_disk,
                                               blown_up_run):
    cfg = small_training_config(str(tmp_path / 'data'), 'unused', epochs=3)
    cfg.dump(str(tmp_path / 'cfg.py'))
    # the same model and optimizer: a checkpoint of this run's size
    size = os.path.getsize(blown_up_run[0] / 'epoch_1.pth')
    disk = small_disk(size * 8 // 5)  # room for one checkpoint and the logs
    work_dir = disk / 'work'
    done = train(tmp_path / 'cfg.py', '--work-dir', work_dir)
    line = error_line(done)
    assert f'no room for checkpoint {work_dir}/epoch_2.pth: it needs ' in \
        line and 'are free there' in line
    # the early warning came one epoch before
    assert 'the next checkpoint (about' in done.stdout + done.stderr
    files = [name for name in os.listdir(work_dir)
             if os.path.isfile(work_dir / name)]
    assert {'epoch_1.pth', 'last_checkpoint'} <= set(files)
    assert not [name for name in os.listdir(work_dir) if 'tmp' in name
                or name.startswith('epoch_2')]
    assert last_checkpoint(str(work_dir)) == str(work_dir / 'epoch_1.pth')
    checkpoint = load_checkpoint_file(str(work_dir / 'epoch_1.pth'))
    assert checkpoint['meta']['epoch'] == 1


@pytest.mark.default_scope('mmpretrain')
def test_transformer_config_skips_a_bad_image(tmp_path, run_tool_here):
    data = tmp_path / 'data'
    for label in range(2):
        write_small_jpegs(str(data / 'train' / f'c{label}'), 3, size=72,
                          seed=label)
    bad = write_bad_images(str(tmp_path / 'bad'))['truncated']
    shutil.copy(bad, data / 'train' / 'c1' / 'broken.jpg')
    dataset = tiny_classifier_config(
        str(data), 'unused', size=64).train_dataloader.dataset.to_dict()
    config = tmp_path / 'deit_small.py'
    deit = os.path.join(ROOT, 'configs', 'transformers',
                        'deit_small_gcp_adamw.py')
    config.write_text(
        f'_base_ = {deit!r}\n'
        'model = dict(backbone=dict(img_size=64), head=dict(num_classes=2),'
        ' train_cfg=None)\n'
        'data_preprocessor = dict(num_classes=2)\n'
        f'train_dataloader = dict(batch_size=2, num_workers=0, '
        f'dataset=dict(_delete_=True, **{dataset!r}))\n'
        'val_dataloader = None\nval_cfg = None\nval_evaluator = None\n'
        'param_scheduler = []\n'
        'train_cfg = dict(max_epochs=1)\n'
        'default_hooks = dict(logger=dict(interval=1))\n')
    work_dir = tmp_path / 'work'
    run_tool_here('train.py', config, '--work-dir', work_dir,
                  '--cfg-options', 'on_bad_image=skip')
    with open(work_dir / 'bad_images.txt') as f:
        assert 'broken.jpg\t' in f.read()
    assert os.path.isfile(work_dir / 'epoch_1.pth')
