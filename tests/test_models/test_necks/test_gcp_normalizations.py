"""GlobalCovariancePooling(normalization=...) against independent math
(docs/normalisations.md)."""
import pytest
import torch

import gcp_mm  # noqa: F401  registers the modules
from gcp_mm.models import GlobalCovariancePooling
from gcp_mm.ops import isqrt_cov

f64 = torch.float64
METHODS = ('newton_schulz', 'eig', 'pade', 'none')


def covariance(feats):
    """(B, C, M) -> (B, C, C), centred, divided by M."""
    centred = feats - feats.mean(-1, keepdim=True)
    return centred @ centred.mT / feats.shape[-1]


def eigh_sqrt(mat):
    eig, vec = torch.linalg.eigh(mat)
    return (vec * eig.clamp(min=0).sqrt().unsqueeze(1)) @ vec.mT


def triu(mat):
    rows, cols = torch.triu_indices(mat.shape[-1], mat.shape[-1])
    return mat[:, rows, cols]


def test_default_is_newton_schulz_bit_for_bit():
    neck = GlobalCovariancePooling(12, reduced_channels=6)
    neck.eval()
    assert neck.normalization == 'newton_schulz'
    x = torch.randn(2, 12, 5, 5)
    assert torch.equal(neck(x), isqrt_cov(neck.reduction(x), 5))


# pade: measured 7e-6 here (z up to 0.9); newton_schulz: 5 steps
@pytest.mark.parametrize('method,tol', [('eig', 1e-12), ('pade', 1e-4),
                                        ('newton_schulz', 1e-2),
                                        ('none', None)])
def test_output_against_float64_eigh(method, tol):
    neck = GlobalCovariancePooling(4, reduced_channels=None,
                                   normalization=method).double()
    x = torch.randn(3, 4, 6, 6, dtype=f64)
    cov = covariance(x.flatten(2))
    if method == 'none':
        torch.testing.assert_close(neck(x), triu(cov), rtol=0, atol=1e-14)
        return
    err = (neck(x) - triu(eigh_sqrt(cov))).abs().max()
    assert err < tol * triu(eigh_sqrt(cov)).abs().max()


@pytest.mark.parametrize('method', METHODS)
def test_each_method_trains_the_reduction(method):
    neck = GlobalCovariancePooling(16, reduced_channels=8,
                                   normalization=method)
    out = neck(torch.randn(2, 16, 4, 4))
    assert out.shape == (2, 36) and neck.out_channels == 36
    out.square().sum().backward()
    grad = neck.reduction[0].weight.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_unknown_normalization_fails_at_construction():
    with pytest.raises(ValueError) as err:
        GlobalCovariancePooling(8, 4, normalization='svd')
    for name in METHODS:
        assert repr(name) in str(err.value)


def test_bad_lyapunov_iters():
    with pytest.raises(ValueError, match='lyapunov_iters'):
        GlobalCovariancePooling(8, 4, normalization='pade',
                                lyapunov_iters=0)


def test_builds_from_config_with_each_switch():
    from mmpretrain.registry import MODELS
    for method in METHODS:
        neck = MODELS.build(dict(type='GlobalCovariancePooling',
                                 in_channels=8, reduced_channels=4,
                                 normalization=method))
        assert neck.normalization == method


def test_switch_is_checked_when_set_and_used_after():
    neck = GlobalCovariancePooling(8, reduced_channels=4).eval()
    with pytest.raises(ValueError, match="'eig'"):
        neck.normalization = 'svd'
    assert neck.normalization == 'newton_schulz'  # the refusal changed nothing
    neck.normalization = 'none'
    x = torch.randn(2, 8, 5, 5)
    expected = triu(covariance(neck.reduction(x).flatten(2)))
    torch.testing.assert_close(neck(x), expected)
    with pytest.raises(ValueError, match='lyapunov_iters'):
        neck.lyapunov_iters = 0
