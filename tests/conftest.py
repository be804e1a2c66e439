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
def _default_scope(request):
    """mmengine keeps the default scope of the last Runner built for the
    rest of the process, and a later test's registry builds would follow
    it. A test that builds Runners in-process is marked
    ``pytest.mark.default_scope(name)``: it runs inside mmengine's
    ``DefaultScope.overwrite_default_scope(name)``, which puts the scope
    table back on exit. Any other test that leaves a scope behind fails."""
    from mmengine.registry import DefaultScope

    def current():
        # by name: the context manager restores deep copies
        scope = DefaultScope.get_current_instance()
        return scope and (scope.instance_name, scope.scope_name)

    marker = request.node.get_closest_marker('default_scope')
    before = current()
    with DefaultScope.overwrite_default_scope(
            marker.args[0] if marker else None):
        yield
    after = current()
    assert after == before, (
        f'the test left mmengine default scope {after} current (before: '
        f'{before}): mark it pytest.mark.default_scope(...)')


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
