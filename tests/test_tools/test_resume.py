"""A run stopped by SIGTERM or SIGINT mid-epoch, or ended after an epoch,
and resumed with tools/train.py --resume ends bit-identical (CPU) to a run
that was never stopped: random crops and flips, a shuffling sampler,
momentum, 0 and 2 DataLoader workers. A moved work dir resumes; a
checkpoint of another model is refused in one line before anything is
built."""
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from gcp_mm.checkpoint import load_checkpoint_file
from gcp_mm.testing import small_training_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, 'tools', 'train.py')
ITERS_PER_EPOCH = 12  # 2 classes x 12 images, batch 2


def train(*args, check=True):
    done = subprocess.run([sys.executable, TRAIN, *map(str, args)],
                          capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    """workers -> a config file (2 epochs)."""
    folder = tmp_path_factory.mktemp('resume')
    files = {}
    for workers in (0, 2):
        cfg = small_training_config(str(folder / 'data'), 'unused',
                                    num_workers=workers, epochs=2,
                                    images_per_class=ITERS_PER_EPOCH)
        files[workers] = str(folder / f'cfg_workers{workers}.py')
        cfg.dump(files[workers])
    return files


@pytest.fixture(scope='module')
def uninterrupted(configs, tmp_path_factory):
    """workers -> the final checkpoint of a run never stopped."""
    finals = {}
    for workers, cfg_file in configs.items():
        work_dir = tmp_path_factory.mktemp(f'full{workers}')
        train(cfg_file, '--work-dir', work_dir)
        finals[workers] = str(work_dir / 'epoch_2.pth')
    return finals


def assert_same_training_state(a_path, b_path):
    a, b = load_checkpoint_file(a_path), load_checkpoint_file(b_path)
    assert a['meta']['iter'] == b['meta']['iter'] == 2 * ITERS_PER_EPOCH
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    momentum = a['optimizer']['state']
    assert len(momentum) == len(b['optimizer']['state']) > 0
    for key, state in momentum.items():
        assert torch.equal(state['momentum_buffer'],
                           b['optimizer']['state'][key]['momentum_buffer'])


def latest_log(work_dir):
    logs = sorted(glob.glob(os.path.join(work_dir, '*', '*.log')))
    if not logs:
        return ''
    with open(logs[-1]) as f:
        return f.read()


def stop_mid_epoch(cfg_file, work_dir, signum):
    """Start a run, send ``signum`` once its log shows iteration 3 of
    epoch 1; returns the finished process and its stderr."""
    process = subprocess.Popen(
        [sys.executable, TRAIN, cfg_file, '--work-dir', work_dir],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.time() + 300
    while not re.search(r'Epoch\(train\)\s*\[1\]\[\s*3/', latest_log(
            work_dir)):
        assert process.poll() is None and time.time() < deadline, \
            process.communicate()[1][-3000:]
        time.sleep(0.02)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


@pytest.mark.parametrize('signum, workers', [(signal.SIGTERM, 0),
                                             (signal.SIGINT, 2)],
                         ids=['SIGTERM-0workers', 'SIGINT-2workers'])
def test_stopped_mid_epoch_then_resumed_is_bit_identical(
        configs, uninterrupted, tmp_path, signum, workers):
    work_dir = str(tmp_path / 'stopped')
    status, stderr = stop_mid_epoch(configs[workers], work_dir, signum)
    assert status == 128 + signum, stderr[-3000:]
    assert 'Traceback' not in stderr
    line = stderr.strip().splitlines()[-1]
    found = re.fullmatch(r'interrupted: saved (\S+/iter_(\d+)\.pth); '
                         r'continue with: (.+ --resume)', line)
    assert found, line
    saved, done = found.group(1), int(found.group(2))
    assert 3 <= done < ITERS_PER_EPOCH  # inside epoch 1
    with open(os.path.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == saved
    command = shlex.split(found.group(3))
    assert command[1:] == [os.path.relpath(TRAIN, ROOT), configs[workers],
                           '--work-dir', work_dir, '--resume']
    if signum == signal.SIGINT:  # and the work dir moves before resuming
        moved = str(tmp_path / 'moved')
        shutil.move(work_dir, moved)
        work_dir, command[4] = moved, moved
    resumed = train(*command[2:])
    assert f'--resume: resuming from {work_dir}/iter_{done}.pth' in \
        resumed.stdout
    log = latest_log(work_dir)
    assert f'resumed epoch: 0, iter: {done}' in log
    # the resumed epoch starts at the batch after the last one trained
    assert re.search(rf'Epoch\(train\)\s*\[1\]\[\s*{done + 1}/', log)
    assert not re.search(rf'Epoch\(train\)\s*\[1\]\[\s*{done}/', log)
    assert_same_training_state(uninterrupted[workers],
                               os.path.join(work_dir, 'epoch_2.pth'))


def test_resumed_after_an_epoch_is_bit_identical(configs, uninterrupted,
                                                 tmp_path):
    """Epoch 1 of the uninterrupted run, in a work dir of its own as a run
    ended after that epoch leaves it (its checkpoint and last_checkpoint;
    was a one-epoch run of its own), resumed to epoch 2."""
    work_dir = str(tmp_path / 'parts')
    os.makedirs(work_dir)
    first = os.path.join(work_dir, 'epoch_1.pth')
    shutil.copy(os.path.join(os.path.dirname(uninterrupted[2]),
                             'epoch_1.pth'), first)
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(first)
    resumed = train(configs[2], '--work-dir', work_dir, '--resume')
    assert f'--resume: resuming from {work_dir}/epoch_1.pth' in \
        resumed.stdout
    log = latest_log(work_dir)
    assert f'resumed epoch: 1, iter: {ITERS_PER_EPOCH}' in log
    assert 'Epoch(train) [1]' not in log and 'Epoch(train) [2]' in log
    assert_same_training_state(uninterrupted[2],
                               os.path.join(work_dir, 'epoch_2.pth'))


@pytest.mark.parametrize('option, problem', [
    ('model.head.num_classes=5', 'head.fc.weight'),
    ('model.backbone.depth=34', 'backbone.layer1.2.'),
])
def test_a_checkpoint_of_another_model_is_refused(configs, uninterrupted,
                                                  tmp_path, option, problem,
                                                  run_tool_here):
    """train.py's main() in this interpreter: the refusal comes before
    anything is built (the runs above start train.py as users do)."""
    work_dir = tmp_path / 'other'
    shutil.copytree(os.path.dirname(uninterrupted[0]), work_dir)
    before = sorted(os.listdir(work_dir))
    done = run_tool_here('train.py', configs[0], '--work-dir', work_dir,
                         '--resume', '--cfg-options', option, check=False)
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith('error: --resume: resume with the config this '
                           'checkpoint was trained with'), line
    assert 'epoch_2.pth does not fit' in line and len(line) < 300
    with open(work_dir / 'checkpoint_mismatch.txt') as f:
        assert problem in f.read()
    # nothing was built or run: no new log folder
    assert sorted(os.listdir(work_dir)) == sorted(
        before + ['checkpoint_mismatch.txt'])
