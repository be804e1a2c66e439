import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Each test starts without an mmengine default scope: Runners built by
    earlier tests (mmdet, mmpretrain) must not redirect later registry
    builds. mmengine has no public API to drop a scope, so the instances a
    test created are removed afterwards."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


@pytest.fixture
def run_tool():
    """Run ``tools/<name>`` as users do, in a fresh interpreter; returns the
    CompletedProcess (asserting success unless ``check=False``)."""

    def run(name, *args, check=True, timeout=900, env=None):
        done = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'tools', name),
             *map(str, args)], capture_output=True, text=True,
            timeout=timeout, env=env)
        if check:
            assert done.returncode == 0, (done.stdout[-2000:] +
                                          done.stderr[-4000:])
        return done

    return run
