"""Under DDP (torchrun, 2 CPU processes), SIGTERM to one rank stops both
after the same iteration, with one resumable checkpoint saved by rank 0."""
import glob
import os
import re
import signal
import subprocess
import sys
import time

from gcp_mm.checkpoint import load_checkpoint_file
from gcp_mm.testing import free_port, small_training_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


# per rank (2 ranks, batch 2, 2 classes): long enough that the ranks stop
# inside the first epoch however late the test sees the log line of
# iteration 2 on a fast machine (6 iterations were too few for that)
ITERS_PER_EPOCH = 24



def rank_pids(launcher_pid):
    """rank -> pid of the processes torchrun started."""
    with open(f'/proc/{launcher_pid}/task/{launcher_pid}/children') as f:
        children = [int(pid) for pid in f.read().split()]
    ranks = {}
    for pid in children:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            env = dict(item.split(b'=', 1) for item in f.read().split(b'\0')
                       if b'=' in item)
        if b'RANK' in env:
            ranks[int(env[b'RANK'])] = pid
    return ranks


def test_sigterm_to_one_rank_stops_both_after_the_same_iteration(tmp_path):
    cfg = small_training_config(str(tmp_path / 'data'),
                                str(tmp_path / 'work'), epochs=3,
                                images_per_class=ITERS_PER_EPOCH * 2)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg_file = str(tmp_path / 'ddp.py')
    cfg.dump(cfg_file)
    launcher = subprocess.Popen(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()),
         os.path.join(ROOT, 'tools', 'train.py'), cfg_file, '--launcher',
         'pytorch'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT)
    deadline = time.time() + 300
    log = ''
    while not re.search(r'Epoch\(train\)\s*\[1\]\[\s*2/', log):
        assert launcher.poll() is None and time.time() < deadline, \
            launcher.communicate()[1][-3000:]
        time.sleep(0.05)
        logs = glob.glob(str(tmp_path / 'work' / '*' / '*.log'))
        log = open(logs[0]).read() if logs else ''
    os.kill(rank_pids(launcher.pid)[1], signal.SIGTERM)  # rank 1 only
    _, stderr = launcher.communicate(timeout=300)
    stopped = re.findall(r'interrupted: saved (\S+/iter_(\d+)\.pth)', stderr)
    assert len(stopped) == 2, stderr[-3000:]  # both ranks, one iteration
    assert stopped[0] == stopped[1]
    path, done = stopped[0][0], int(stopped[0][1])
    assert 2 <= done < ITERS_PER_EPOCH  # inside epoch 1
    assert sorted(glob.glob(str(tmp_path / 'work' / '*.pth'))) == [path]
    assert load_checkpoint_file(path)['meta']['iter'] == done
    with open(tmp_path / 'work' / 'last_checkpoint') as f:
        assert f.read() == path


SECOND_INTERRUPT = '''
import os, signal, sys, time, types
from gcp_mm.engine.hooks.preemption_hook import PreemptionHook
hook = PreemptionHook()
hook.before_train(types.SimpleNamespace(work_dir=sys.argv[1]))
os.kill(os.getpid(), signal.SIGINT)  # the first: the run goes on
print('still running', flush=True)
os.kill(os.getpid(), signal.SIGINT)  # the second: out at once
time.sleep(30)
print('not stopped', flush=True)
'''


def test_a_second_ctrl_c_exits_at_once_without_saving(tmp_path):
    done = subprocess.run(
        [sys.executable, '-c', SECOND_INTERRUPT, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 130, done.stderr[-2000:]
    assert done.stdout == 'still running\n'
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith('SIGINT: finishing this iteration')
    assert lines[-1] == ('second interrupt: stopped without saving; the '
                         'last checkpoint is none')
    assert os.listdir(tmp_path) == []
