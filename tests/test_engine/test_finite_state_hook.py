"""Nothing non-finite is saved, and a blow-up of the weights or BN
statistics is caught within a few iterations."""
import types

import pytest
import torch

from gcp_mm.engine import FiniteStateHook, NonFiniteError
from gcp_mm.engine.checkpoint_files import point_last_checkpoint
from gcp_mm.engine.finite import all_finite


def test_all_finite_against_isfinite():
    gen = torch.Generator().manual_seed(0)
    tensors = [torch.randn(5, 3, generator=gen), torch.randn(7,
                                                             generator=gen),
               torch.arange(4), torch.randn(2, dtype=torch.float64)]
    assert bool(all_finite(tensors))
    for bad in (float('nan'), float('inf'), -float('inf')):
        broken = [t.clone() for t in tensors]
        broken[1][3] = bad
        assert not bool(all_finite(broken))
    # a huge but finite tensor: a sum of squares would overflow, max-abs not
    assert bool(all_finite([torch.full((1000, ), 3e38)]))
    assert bool(all_finite([]))


def runner_at(tmp_path, model, iteration=9):
    return types.SimpleNamespace(model=model, iter=iteration,
                                 work_dir=str(tmp_path))


def test_saving_a_non_finite_state_is_refused(tmp_path):
    point_last_checkpoint(str(tmp_path), str(tmp_path / 'epoch_1.pth'))
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    model = torch.nn.Sequential(torch.nn.Linear(2, 2),
                                torch.nn.BatchNorm1d(2))
    hook = FiniteStateHook()
    checkpoint = dict(state_dict=model.state_dict(),
                      optimizer=dict(state={0: dict(
                          momentum_buffer=torch.zeros(2))}))
    hook.before_save_checkpoint(runner_at(tmp_path, model), checkpoint)
    checkpoint['optimizer']['state'][0]['momentum_buffer'][1] = float('inf')
    with pytest.raises(NonFiniteError) as err:
        hook.before_save_checkpoint(runner_at(tmp_path, model), checkpoint)
    line = str(err.value)
    assert 'optimizer.state.0.momentum_buffer holds NaN/Inf' in line
    assert 'the last good checkpoint is epoch_1.pth' in line
    assert len(line) < 300


def test_weights_and_buffers_are_watched_every_interval(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2),
                                torch.nn.BatchNorm1d(2))
    hook = FiniteStateHook(interval=5)
    model[1].running_var[0] = float('inf')
    for iteration in range(4):  # not checked at iterations 1..4
        hook.after_train_iter(runner_at(tmp_path, model, iteration), 0)
    with pytest.raises(NonFiniteError, match=r'after iteration 5 \(1.'
                       'running_var\\).*no checkpoint was saved yet'):
        hook.after_train_iter(runner_at(tmp_path, model, 4), 0)
