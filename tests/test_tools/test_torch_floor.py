"""tools/torch_floor.sh's decisions, without building anything: which
torch it tests (setup.py's floor), what it installs, and when it skips an
up-to-date environment. The floor environment itself is built and tested
by CI (`.ci/run`, `make test-torch-floor`)."""
import ast
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'tools', 'torch_floor.sh')


def bash(script, check=True):
    done = subprocess.run(['bash', '-c', f'source {SCRIPT}\n{script}'],
                          capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def setup_py_requirements():
    """INSTALL_REQUIRES of setup.py, read as Python, not with sed."""
    with open(os.path.join(ROOT, 'setup.py')) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and node.targets[0].id == 'INSTALL_REQUIRES'):
            return ast.literal_eval(node.value)
    raise AssertionError('setup.py has no INSTALL_REQUIRES')


def test_the_floor_tested_is_the_one_setup_py_declares():
    declared = dict(r.split('>=', 1) for r in setup_py_requirements()
                    if r.startswith(('torch>=', 'torchvision>=')))
    for name in ('torch', 'torchvision'):
        out = bash(f'declared_floor {ROOT}/setup.py {name}').stdout
        assert out.strip() == declared[name]


def test_a_missing_floor_is_one_clear_line(tmp_path):
    setup_py = tmp_path / 'setup.py'
    setup_py.write_text("INSTALL_REQUIRES = ['torch']\n")
    done = bash(f'declared_floor {setup_py} torch', check=False)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        f"{setup_py} declares no 'torch>=VERSION' in INSTALL_REQUIRES")


def test_requirements_swap_torch_and_keep_the_other_pins():
    lines = bash(f'floor_requirements {ROOT} 2.1.0 0.16.0').stdout.split()
    with open(os.path.join(ROOT, 'requirements.txt')) as f:
        pinned = [line.strip() for line in f
                  if line.strip() and not line.startswith('#')]
    assert lines[:2] == ['torch==2.1.0', 'torchvision==0.16.0']
    assert not [x for x in lines if x.startswith(('torch==2.14',
                                                  'torchvision==0.29'))]
    for pin in pinned:
        if pin.startswith('onedl-') or pin.startswith('pycocotools'):
            assert pin in lines


def test_an_up_to_date_environment_is_skipped(tmp_path):
    env = tmp_path / 'env'
    (env / 'bin').mkdir(parents=True)
    python = env / 'bin' / 'python'
    python.write_text('#!/bin/sh\n')
    python.chmod(0o755)
    key = bash(f'floor_stamp_key {ROOT} 2.1.0 0.16.0').stdout.strip()
    other = bash(f'floor_stamp_key {ROOT} 2.2.0 0.17.0').stdout.strip()
    assert len(key) == 16 and key != other

    def up_to_date():
        return bash(f'floor_env_up_to_date {env} {key}',
                    check=False).returncode == 0

    assert not up_to_date()  # never built
    (env / '.gcp_mm_floor').write_text(key + '\n')
    assert up_to_date()
    (env / '.gcp_mm_floor').write_text(other + '\n')
    assert not up_to_date()  # another floor or stack
    (env / '.gcp_mm_floor').write_text(key + '\n')
    python.unlink()
    assert not up_to_date()  # the interpreter is gone


def test_every_left_out_test_exists():
    """A test renamed in the suite but not in FLOOR_DESELECT would run on
    the floor again (and fail there, as it needs mmcv's ops)."""
    ids = bash('printf "%s\\n" "${FLOOR_DESELECT[@]}"').stdout.split()
    assert ids
    for test_id in ids:
        path, name = test_id.split('::')
        with open(os.path.join(ROOT, path)) as f:
            assert f'def {name.split("[")[0]}(' in f.read(), test_id
