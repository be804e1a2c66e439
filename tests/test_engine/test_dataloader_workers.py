"""A finished run's persistent DataLoader workers end at once, not when
the garbage collector finds them (gcp_mm/engine/dataloader_workers.py)."""
import gc
import os

import pytest

from gcp_mm.engine import stop_runner_workers


def worker_pids(loader):
    return [w.pid for w in loader._iterator._workers]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie until its parent reaps it: ended all the same
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split(')')[-1].split()[0] != 'Z'


@pytest.mark.default_scope('mmpretrain')
def test_a_finished_runs_workers_end_and_its_loaders_start_again(tmp_path):
    from mmengine.runner import Runner

    from gcp_mm.demo.data import make_color_texture_dataset
    from gcp_mm.testing import classifier_config
    make_color_texture_dataset(str(tmp_path / 'data'), 1, 1, size=32)
    cfg = classifier_config(str(tmp_path / 'data'), str(tmp_path / 'work'),
                           size=32, epochs=1)
    assert cfg.train_dataloader.persistent_workers
    assert cfg.train_dataloader.num_workers >= 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    loaders = [runner.train_loop.dataloader, runner.val_loop.dataloader]
    pids = [pid for loader in loaders for pid in worker_pids(loader)]
    assert pids and all(map(alive, pids))

    stop_runner_workers(runner)
    # asked to exit, not left to wait for the garbage collector
    assert not any(map(alive, pids))
    assert all(loader._iterator is None for loader in loaders)
    gc.collect()
    # the loop validates again, with new workers
    metrics = runner.val_loop.run()
    assert 'accuracy/top1' in metrics
    assert not set(worker_pids(runner.val_loop.dataloader)) & set(pids)
    stop_runner_workers(runner)


def test_loops_not_built_have_no_workers():
    from types import SimpleNamespace
    stop_runner_workers(SimpleNamespace(_train_loop=dict(type='Loop'),
                                        _val_loop=None))
