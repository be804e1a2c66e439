import glob
import json
import os
import subprocess
import sys
from types import SimpleNamespace

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


@pytest.fixture(scope='session')
def _dataloader_iterators():
    """Every multi-process DataLoader iterator the session makes, with its
    loader (weakly held)."""
    import weakref

    from torch.utils.data import dataloader
    made = weakref.WeakKeyDictionary()
    original = dataloader._MultiProcessingDataLoaderIter.__init__

    def init(self, loader):
        original(self, loader)
        made[self] = weakref.ref(loader)

    dataloader._MultiProcessingDataLoaderIter.__init__ = init
    yield made
    dataloader._MultiProcessingDataLoaderIter.__init__ = original


@pytest.fixture(autouse=True)
def _stop_dataloader_workers(_dataloader_iterators):
    """A test's Runners leave persistent DataLoader workers behind; left
    to the garbage collector, each cost a later test 5 s
    (gcp_mm/engine/dataloader_workers.py). Ended here, as the demo ends
    its runs' (``stop_runner_workers``); a loader used again by a later
    test starts new workers."""
    yield
    from gcp_mm.engine import stop_dataloader_workers
    for iterator, loader in list(_dataloader_iterators.items()):
        loader = loader()
        if loader is not None and loader._iterator is iterator:
            stop_dataloader_workers(loader)
        else:
            stop_dataloader_workers(iterator)
        del _dataloader_iterators[iterator]


@pytest.fixture
def logged_warnings():
    """The messages mmengine's current logger writes at WARNING or above
    during the test (MMLogger does not propagate to pytest's caplog)."""
    import logging

    from mmengine.logging import MMLogger
    lines = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


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


def _mmengine_instances():
    """mmengine's named instances by class (loggers, message hubs,
    visualizers; not default scopes: the _default_scope fixture's)."""
    from mmengine.registry import DefaultScope
    from mmengine.utils import ManagerMixin
    found, todo = {}, [ManagerMixin]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls is not DefaultScope:
            found[cls] = cls.__dict__.get('_instance_dict', {})
    return found


def _mmengine_instance_names():
    return {cls: set(made) for cls, made in _mmengine_instances().items()}


def _forget_mmengine_instances_since(before):
    """Drop the instances made since ``before``, closing their log
    handlers. A Runner names its logger, message hub and visualizer after
    its config file and the second it starts: a later run of that config
    in the same second would get this run's (its log file, its vis_data
    folder), as two tests' tiny runs did. A process ends with them."""
    for cls, instances in _mmengine_instances().items():
        for key in set(instances) - before.get(cls, set()):
            made = instances.pop(key)
            for handler in list(getattr(made, 'handlers', [])):
                made.removeHandler(handler)
                handler.close()


@pytest.fixture(autouse=True)
def _forget_mmengine_instances():
    """Each test's Runners' loggers, message hubs and visualizers end with
    the test (``_forget_mmengine_instances_since``)."""
    before = _mmengine_instance_names()
    yield
    _forget_mmengine_instances_since(before)


@pytest.fixture
def run_tool_here():
    """Run ``tools/<name>``'s ``main(argv)`` in this interpreter (no
    interpreter start or imports: a tool subprocess's seconds), its stdout
    and stderr captured and ``SystemExit`` taken as the exit status;
    returns a CompletedProcess as :func:`run_tool` does. For the tests of
    one-line answers; each tool keeps a :func:`run_tool` test of its real
    entry point."""
    import contextlib
    import io
    import runpy
    import traceback

    def run(name, *args, check=True):
        path = os.path.join(ROOT, 'tools', name)
        argv = [str(arg) for arg in args]
        tool = runpy.run_path(path, run_name='gcp_mm_tool_under_test')
        out, err, status = io.StringIO(), io.StringIO(), 0
        before = _mmengine_instance_names()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                tool['main'](argv)
            except SystemExit as done:
                status = done.code if isinstance(done.code, int) else (
                    0 if done.code is None else 1)
            except Exception:  # as an uncaught error ends a process
                traceback.print_exc()
                status = 1
            finally:  # as the process would end
                _forget_mmengine_instances_since(before)
        done = subprocess.CompletedProcess([path, *argv], status,
                                           out.getvalue(), err.getvalue())
        if check:
            assert done.returncode == 0, (done.stdout[-2000:] +
                                          done.stderr[-4000:])
        return done

    return run


# --- the package as pip users get it, and the demo run from it: built and
# run once per session, shared by tests/test_packaging.py and the demo's
# tests (tests/test_tools/test_train_test_demo.py)


@pytest.fixture(scope='session')
def wheel(tmp_path_factory):
    """The wheel of this checkout, built once, offline, as
    ``pip wheel .`` builds it."""
    out = tmp_path_factory.mktemp('wheel')
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '-q', '-w', str(out), ROOT],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (path, ) = glob.glob(str(out / 'gcp_mm-*.whl'))
    return path


@pytest.fixture(scope='session')
def installed(wheel, tmp_path_factory):
    """The wheel installed into a folder of its own (``pip install
    --target``); returns that folder."""
    target = tmp_path_factory.mktemp('site')
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '-q', '--target', str(target), wheel],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return str(target)


def _run_installed(site, cwd, args, timeout=600):
    """Run ``python ARGS`` in ``cwd`` with only ``site`` on PYTHONPATH
    (the checkout is neither the working folder nor on the path)."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PYTHONPATH'] = site
    env['PYTHONNOUSERSITE'] = '1'
    done = subprocess.run([sys.executable, *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    return done


@pytest.fixture(scope='session')
def run_installed():
    """``run_installed(site, cwd, args)``: ``python ARGS`` in ``cwd`` with
    only the installed folder ``site`` on the path."""
    return _run_installed


# the README demo at a tiny size, every part switched on: two rates, LRfast,
# the landscape, detection
TINY_DEMO = ('--epochs', '2', '--size', '32', '--train-per-class', '2',
             '--val-per-class', '1', '--lr-factors', '1', '4',
             '--fast-schedule', '--det-epochs', '1', '--det-size', '64',
             '--det-train', '4', '--det-val', '2', '--landscape-interval',
             '1', '--landscape-steps', '2')


@pytest.fixture(scope='session')
def tiny_demo(installed, tmp_path_factory):
    """tools/demo.py as the wheel carries it, run once from another folder
    with only the installed copy on the path, at the sizes of TINY_DEMO:
    its work dir, what it printed and its summary.json."""
    work = tmp_path_factory.mktemp('elsewhere')
    tool = os.path.join(installed, 'gcp_mm', '.mim', 'tools', 'demo.py')
    done = _run_installed(installed, work,
                          [tool, '--work-dir', 'demo', *TINY_DEMO])
    with open(work / 'demo' / 'summary.json') as f:
        summary = json.load(f)
    return SimpleNamespace(work_dir=work / 'demo', printed=done.stdout,
                           summary=summary)
