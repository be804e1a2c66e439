"""tools/install.sh's device decisions, on faked machines: stub
``nvidia-smi`` and ``nvcc`` executables on PATH / in CUDA_HOME, and, for
the whole script, a stub interpreter that records what it was asked."""
import os
import shutil
import stat
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INSTALL = os.path.join(ROOT, 'tools', 'install.sh')
NVCC_OUTPUT = """nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Cuda compilation tools, release {version}, V{version}.88
"""


def write_executable(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


class FakeMachine:
    """A PATH with a stub nvidia-smi (GPUs of the given compute
    capabilities, or a driver that does not answer) and a CUDA_HOME with a
    stub nvcc of the given release, or none."""

    def __init__(self, root, gpus=None, nvcc=None, env=None):
        self.bin = os.path.join(root, 'bin')
        self.cuda_home = os.path.join(root, 'cuda')
        os.makedirs(os.path.join(self.cuda_home, 'bin'), exist_ok=True)
        if gpus is None:  # nvidia-smi without a working driver
            write_executable(os.path.join(self.bin, 'nvidia-smi'),
                             '#!/bin/sh\necho "NVIDIA-SMI has failed" >&2\n'
                             'exit 9\n')
        else:
            lines = ''.join(f'echo "{cap}"\n' for cap in gpus)
            write_executable(os.path.join(self.bin, 'nvidia-smi'),
                             f'#!/bin/sh\n{lines}')
        if nvcc is not None:
            write_executable(
                os.path.join(self.cuda_home, 'bin', 'nvcc'),
                "#!/bin/sh\ncat <<'EOF'\n" + NVCC_OUTPUT.format(
                    version=nvcc) + 'EOF\n')
        self.env = {'PATH': f'{self.bin}:/usr/bin:/bin',
                    'HOME': os.environ.get('HOME', root),
                    'CUDA_HOME': self.cuda_home, **(env or {})}

    def bash(self, script):
        done = subprocess.run(
            ['bash', '-c', f'source {INSTALL}\n{script}'], env=self.env,
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


def decide(machine, torch_cuda='13.0'):
    """install.sh's decision on ``machine``, as a dict of its variables."""
    out = machine.bash(
        'nvcc="$(find_nvcc)"\n'
        f'decide_mmcv_build {torch_cuda!r} "$nvcc" '
        '"$([ -n "$nvcc" ] && nvcc_version "$nvcc")" '
        '"$(visible_gpu_archs)"\n'
        'printf "%s\\n" "$MMCV_BUILD" "$MMCV_BUILD_KEY" "$MMCV_ARCHS" '
        '"$MMCV_BUILD_LINE" "$(mmcv_wheel_dir /cache 2.14.1)"\n'
        'mmcv_build_env "$MMCV_BUILD" "$nvcc"')
    lines = out.splitlines()
    return dict(build=lines[0], key=lines[1], archs=lines[2], line=lines[3],
                wheel_dir=lines[4], env=lines[5:])


def test_probes_read_the_faked_machine(tmp_path):
    machine = FakeMachine(str(tmp_path), gpus=['9.0', '8.6', '9.0'],
                          nvcc='13.0')
    assert machine.bash('visible_gpu_archs').strip() == '8.6;9.0'
    nvcc = os.path.join(machine.cuda_home, 'bin', 'nvcc')
    assert machine.bash('find_nvcc').strip() == nvcc
    assert machine.bash(f'nvcc_version {nvcc}').strip() == '13.0'
    no_driver = FakeMachine(str(tmp_path / 'b'), gpus=None)
    assert no_driver.bash('visible_gpu_archs') == ''
    assert no_driver.bash('find_nvcc') == ''


def test_no_gpu_builds_cpu_ops_even_with_a_toolkit(tmp_path):
    """This project's own machines have CUDA 13.0's toolkit and no GPU:
    they keep the CPU build (and its cached wheel) unless asked."""
    result = decide(FakeMachine(str(tmp_path), gpus=None, nvcc='13.0'))
    assert result['build'] == 'cpu' and result['key'] == 'cpu'
    assert result['wheel_dir'] == (
        '/cache/wheels/onedl_mmcv-2.3.6-torch2.14.1-cp311-c++20-cpu')
    assert result['line'].startswith('building onedl-mmcv with CPU ops only')
    assert 'export FORCE_CUDA=0' in result['env']
    # onedl-mmcv's setup.py would build CUDA ops for any GPU it sees
    assert 'export CUDA_VISIBLE_DEVICES=' in result['env']
    assert 'export MMCV_WITH_OPS=1' in result['env']


def test_gpu_and_matching_toolkit_build_cuda_ops_for_the_gpu(tmp_path):
    machine = FakeMachine(str(tmp_path), gpus=['9.0'], nvcc='13.0')
    result = decide(machine)
    assert result['build'] == 'cuda'
    assert result['archs'] == '9.0'
    assert result['key'] == 'cu13.0-sm9.0'
    assert result['wheel_dir'].endswith('-c++20-cu13.0-sm9.0')
    assert result['line'].startswith('building onedl-mmcv with CUDA ops')
    assert {'export MMCV_WITH_OPS=1', 'export FORCE_CUDA=1',
            'export TORCH_CUDA_ARCH_LIST=9.0',
            f'export CUDA_HOME={machine.cuda_home}'} <= set(result['env'])


def test_a_minor_version_apart_still_matches(tmp_path):
    result = decide(FakeMachine(str(tmp_path), gpus=['8.0'], nvcc='13.1'))
    assert result['build'] == 'cuda' and result['key'] == 'cu13.0-sm8.0'


def test_user_architectures_win_over_the_visible_gpu(tmp_path):
    machine = FakeMachine(str(tmp_path), gpus=['9.0'], nvcc='13.0',
                          env={'TORCH_CUDA_ARCH_LIST': '8.0;9.0'})
    result = decide(machine)
    assert result['archs'] == '8.0;9.0' and result['key'] == 'cu13.0-sm8.0_9.0'


def test_force_cuda_without_gpu_builds_the_default_architectures(tmp_path):
    result = decide(FakeMachine(str(tmp_path), gpus=None, nvcc='13.0',
                                env={'FORCE_CUDA': '1'}))
    assert result['build'] == 'cuda'
    assert result['archs'] == '7.5;8.0;8.6;8.9;9.0+PTX'
    assert result['key'] == 'cu13.0-sm7.5_8.0_8.6_8.9_9.0+PTX'


@pytest.mark.parametrize('nvcc, torch_cuda, says', [
    (None, '13.0', "no CUDA toolkit (nvcc) was found: install CUDA 13.0's "
     'toolkit and set CUDA_HOME to it'),
    ('12.4', '13.0', 'is CUDA 12.4 but torch was built with CUDA 13.0: set '
     'CUDA_HOME to a CUDA 13.x toolkit'),
    ('13.0', '', 'torch is a CPU-only build'),
])
def test_gpu_without_usable_toolkit_says_what_is_missing(tmp_path, nvcc,
                                                         torch_cuda, says):
    result = decide(FakeMachine(str(tmp_path), gpus=['9.0'], nvcc=nvcc),
                    torch_cuda=torch_cuda)
    assert result['build'] == 'cpu' and result['key'] == 'cpu'
    line = result['line']
    assert line.startswith('a GPU is visible but ') and says in line
    assert line.endswith('so Faster/Mask R-CNN fail on CUDA')
    assert '\n' not in line and len(line) < 300
    assert 'export FORCE_CUDA=0' in result['env']


# ------------------------------------------------------- the whole script

STUB_PYTHON = """#!/bin/bash
# records each call; answers as the pinned stack would
echo "$*" >> "$STUB_LOG"
case "$1 $2" in
  '-m pip') exit 0 ;;
  '- '*) cat > /dev/null; exit "${OPS_RC:-0}" ;;
esac
case "$2" in
  'import torch; print(torch.__version__'*) echo '2.14.1 13.0' ;;
  *) echo 'torch 2.14.1' ;;
esac
"""


@pytest.fixture
def fake_checkout(tmp_path):
    """install.sh, requirements.txt and setup.py in a folder whose .venv
    holds the stub interpreter."""
    root = tmp_path / 'checkout'
    (root / 'tools').mkdir(parents=True)
    shutil.copy(INSTALL, root / 'tools' / 'install.sh')
    for name in ('requirements.txt', 'setup.py'):
        shutil.copy(os.path.join(ROOT, name), root / name)
    write_executable(str(root / '.venv' / 'bin' / 'python'), STUB_PYTHON)
    return root


def run_install(root, machine, log):
    env = dict(machine.env, STUB_LOG=str(log),
               GCP_MM_CACHE=str(root / 'cache'))
    start = time.perf_counter()
    done = subprocess.run(['bash', str(root / 'tools' / 'install.sh')],
                          env=env, capture_output=True, text=True,
                          timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return done.stdout, calls, elapsed


def test_unchanged_machine_takes_the_fast_path(fake_checkout, tmp_path):
    log = tmp_path / 'calls'
    cpu = FakeMachine(str(tmp_path / 'cpu'), gpus=None, nvcc='13.0')
    out, calls, _ = run_install(fake_checkout, cpu, log)
    assert '[install] building onedl-mmcv with CPU ops only' in out
    assert any(c.startswith('-m pip install -q -r') for c in calls)
    assert (fake_checkout / '.venv' / '.gcp_mm_installed').read_text(
    ).splitlines()[1] == 'cpu'
    out, calls, elapsed = run_install(fake_checkout, cpu, log)
    # one interpreter start: the ops check; no pip, no torch query
    assert out.startswith('[install] environment up to date'), out
    assert calls == ['- 2.3.6 cpu'], calls
    assert elapsed < 1.0
    # a GPU appears: the stamp no longer matches and the missing
    # toolkit is said, on this and on every later run
    gpu = FakeMachine(str(tmp_path / 'gpu'), gpus=['9.0'], nvcc=None)
    out, calls, _ = run_install(fake_checkout, gpu, log)
    assert 'a GPU is visible but no CUDA toolkit' in out
    out, calls, _ = run_install(fake_checkout, gpu, log)
    assert 'environment up to date' in out
    assert 'a GPU is visible but no CUDA toolkit' in out


def test_cpu_build_on_a_gpu_machine_is_replaced(fake_checkout, tmp_path):
    """An installed build whose ops check fails for the decided device
    (a CPU build where CUDA ops are wanted) is rebuilt for the device,
    from the device's own cache folder."""
    log = tmp_path / 'calls'
    gpu = FakeMachine(str(tmp_path / 'gpu'), gpus=['9.0'], nvcc='13.0')
    wheel_dir = (fake_checkout / 'cache' / 'wheels' /
                 'onedl_mmcv-2.3.6-torch2.14.1-cp311-c++20-cu13.0-sm9.0')
    wheel_dir.mkdir(parents=True)
    (wheel_dir / 'onedl_mmcv-2.3.6-cp311-cp311-linux_x86_64.whl').touch()
    gpu.env['OPS_RC'] = '1'  # the installed onedl-mmcv lacks CUDA ops
    done = subprocess.run(
        ['bash', str(fake_checkout / 'tools' / 'install.sh')],
        env=dict(gpu.env, STUB_LOG=str(log),
                 GCP_MM_CACHE=str(fake_checkout / 'cache')),
        capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines()
    assert '[install] building onedl-mmcv with CUDA ops' in done.stdout
    assert f'[install] using cached build {wheel_dir}' in done.stdout
    assert '- 2.3.6 cuda' in calls
    assert '-m pip uninstall -q -y onedl-mmcv' in calls
    assert any(c.startswith('-m pip install -q ' + str(wheel_dir))
               for c in calls)
    # the stub's ops check still fails after the install: one clear line
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'onedl-mmcv installed but its cuda ops do not work (mmcv._ext, and '
        'nms/RoIAlign on CUDA)')
