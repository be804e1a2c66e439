"""The one warning for normalization='eig' on CUDA at sizes where batched
eigh is known to be slow (gcp_mm/models/necks/slow_eig.py)."""
import pytest
import torch

from gcp_mm.models.necks import GlobalCovariancePooling
from gcp_mm.models.necks import gcp as gcp_module
from gcp_mm.models.necks.slow_eig import slow_eig_warning


def test_rule_warns_on_cuda_above_32_channels_only():
    assert slow_eig_warning('cpu', 256) is None
    assert slow_eig_warning('cuda', 32) is None
    line = slow_eig_warning('cuda', 33)
    assert "normalization='eig' on CUDA with d=33" in line
    assert "normalization='newton_schulz'" in line
    assert '\n' not in line and len(line) < 300


@pytest.fixture
def logged(monkeypatch):
    lines = []
    monkeypatch.setattr(gcp_module, 'print_log',
                        lambda msg, **kwargs: lines.append((msg, kwargs)))
    return lines


def test_eig_neck_on_cpu_logs_nothing(logged):
    neck = GlobalCovariancePooling(64, reduced_channels=48,
                                   normalization='eig').train()
    neck(torch.randn(2, 64, 4, 4))
    assert logged == []


def test_neck_logs_the_rule_once_per_neck(monkeypatch, logged):
    """The neck asks the rule with its device and d on every forward and
    logs the first line it gets, once (rule faked: no CUDA here)."""
    asked = []

    def rule(device_type, dim):
        asked.append((device_type, dim))
        return 'slow here'

    monkeypatch.setattr(gcp_module, 'slow_eig_warning', rule)
    neck = GlobalCovariancePooling(16, reduced_channels=8,
                                   normalization='eig').train()
    for _ in range(3):
        neck(torch.randn(2, 16, 3, 3))
    assert asked == [('cpu', 8)]
    assert len(logged) == 1 and logged[0][0] == 'slow here'
    assert logged[0][1]['level'] == 30  # logging.WARNING
    GlobalCovariancePooling(16, reduced_channels=8)(torch.randn(2, 16, 3, 3))
    assert asked == [('cpu', 8)]  # other normalisations never ask


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='needs a CUDA device')
def test_eig_neck_on_cuda_logs_once(logged):
    neck = GlobalCovariancePooling(64, reduced_channels=48,
                                   normalization='eig').cuda().train()
    for _ in range(2):
        out = neck(torch.randn(2, 64, 7, 7, device='cuda'))
    assert torch.isfinite(out).all()
    assert len(logged) == 1 and 'd=48' in logged[0][0]
