"""The necks' training steps never wait for the device: no tensor is read
back as a Python number or truth value (on CUDA each such read blocks the
host until the GPU catches up, every step)."""
import contextlib

import pytest
import torch

from gcp_mm.models.necks import DropCovPooling, GlobalCovariancePooling

# every Tensor method that hands a device value to Python
SYNCING = ('__bool__', '__float__', '__int__', '__index__', 'item', 'tolist',
           'numpy', 'cpu')


@contextlib.contextmanager
def counting_host_reads():
    reads = []
    patches = pytest.MonkeyPatch()
    for name in SYNCING:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            reads.append(_name)
            return _original(self, *args, **kwargs)

        patches.setattr(torch.Tensor, name, counted)
    try:
        yield reads
    finally:
        patches.undo()


def test_the_counter_sees_a_sync():
    with counting_host_reads() as reads:
        if torch.ones(()) > 0:
            float(torch.ones(()))
    assert reads == ['__bool__', '__float__']


@pytest.mark.parametrize('neck', [
    lambda: DropCovPooling(16, reduced_channels=8, rate_scale=1.5),
    lambda: DropCovPooling(16, reduced_channels=8, rate_scale=0.0),
    lambda: GlobalCovariancePooling(16, reduced_channels=8),
    lambda: GlobalCovariancePooling(16, reduced_channels=8,
                                    normalization='eig'),
    lambda: GlobalCovariancePooling(16, reduced_channels=8,
                                    normalization='none'),
    lambda: GlobalCovariancePooling(16, reduced_channels=None,
                                    token_input=True),
], ids=['dropcov', 'dropcov-rate1', 'newton_schulz', 'eig', 'none',
        'tokens'])
def test_training_step_reads_nothing_back(neck):
    # (MPA-Lya, 'pade', checks MKL's CPU LU result on the host; not here)
    neck = neck().train()
    token = neck.token_input
    x = torch.randn(2, 10, 16) if token else torch.randn(2, 16, 5, 5)
    x.requires_grad_()
    with counting_host_reads() as reads:
        neck(x).square().sum().backward()
    assert reads == []
    assert torch.isfinite(x.grad).all()
