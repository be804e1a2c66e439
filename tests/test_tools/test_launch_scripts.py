"""The launch scripts hand the right command to torchrun / srun (fake
executables on PATH record it; the real launches are tested in
tests/test_engine/test_distributed.py)."""
import os
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def fake(tmp_path, name):
    path = tmp_path / name
    path.write_text('#!/usr/bin/env bash\necho "$0 $*"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def run(script, args, tmp_path, **env):
    fake(tmp_path, 'srun')
    python = fake(tmp_path, 'fakepython')
    environ = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}',
                   PYTHON=str(python), **env)
    done = subprocess.run(['bash', os.path.join(ROOT, 'tools', script)] +
                          args, capture_output=True, text=True, env=environ)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_slurm_train(tmp_path):
    out = run('slurm_train.sh', ['part', 'job', 'cfg.py', '--amp'], tmp_path,
              GPUS='16')
    assert '--ntasks=16 --ntasks-per-node=8' in out
    assert 'tools/train.py cfg.py --launcher slurm --amp' in out


def test_slurm_test(tmp_path):
    out = run('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth'],
              tmp_path, GPUS='2')
    assert '--gres=gpu:2 --ntasks=2' in out
    assert 'tools/test.py cfg.py ckpt.pth --launcher slurm' in out


def test_dist_train_and_test(tmp_path):
    out = run('dist_train.sh', ['cfg.py', '4', '--resume'], tmp_path)
    assert '-m torch.distributed.run' in out
    assert '--nproc_per_node=4' in out
    assert 'tools/train.py cfg.py --launcher pytorch --resume' in out
    out = run('dist_test.sh', ['cfg.py', 'ckpt.pth', '2'], tmp_path)
    assert 'tools/test.py cfg.py ckpt.pth --launcher pytorch' in out


def test_scripts_default_to_the_project_environment(tmp_path):
    """From a plain shell (no PYTHON, no activated venv) the scripts run
    the interpreter tools/install.sh set up."""
    fake(tmp_path, 'srun')
    environ = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
    environ['PATH'] = f'{tmp_path}:{environ["PATH"]}'
    for script, args in (('slurm_train.sh', ['p', 'j', 'cfg.py']),
                         ('slurm_test.sh', ['p', 'j', 'cfg.py', 'c.pth'])):
        done = subprocess.run(['bash', os.path.join(ROOT, 'tools', script)] +
                              args, capture_output=True, text=True,
                              env=environ)
        assert done.returncode == 0, done.stderr
        python = done.stdout.split(' --kill-on-bad-exit=1 ')[1].split()[0]
        assert os.path.samefile(python,
                                os.path.join(ROOT, '.venv', 'bin', 'python'))
