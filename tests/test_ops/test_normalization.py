"""The dispatcher and the conventions every normalisation shares
(module docstring of gcp_mm/ops/matrix_function.py)."""
import pytest
import torch

from gcp_mm.ops import (
    NORMALIZATIONS,
    covariance_matrix,
    isqrt_cov,
    normalization_function,
    normalize_covariance,
    normalized_covariance_triu,
    sqrtm_eig,
    sqrtm_newton_schulz,
    sqrtm_pade,
)

from ._matrices import eigh_sqrt, f64, relative_error, relu_covariance

METHODS = ('newton_schulz', 'eig', 'pade', 'none')


def test_every_method_is_listed():
    assert set(NORMALIZATIONS) == set(METHODS)


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(ValueError) as err:
        normalize_covariance(torch.eye(3).expand(2, 3, 3), 'svd')
    for name in METHODS:
        assert repr(name) in str(err.value)
    with pytest.raises(ValueError, match="'newton_schulz'"):
        normalized_covariance_triu(torch.randn(2, 3, 4, 4), 'Newton-Schulz')


@pytest.mark.parametrize('method,direct', [
    ('newton_schulz', lambda cov: sqrtm_newton_schulz(cov, 3)),
    ('eig', sqrtm_eig),
    ('pade', lambda cov: sqrtm_pade(cov, 4)),
    ('none', lambda cov: cov),
])
def test_chosen_function_is_the_method_bit_for_bit(method, direct):
    cov = relu_covariance(channels=6, side=3).float().requires_grad_()
    chosen = normalization_function(method, num_iters=3, lyapunov_iters=4)
    out, expected = chosen(cov), direct(cov)
    assert torch.equal(out, expected)
    upstream = torch.randn_like(out)
    assert torch.equal(*(torch.autograd.grad(y, cov, upstream)[0]
                         for y in (out, expected)))


@pytest.mark.parametrize('kwargs,match', [
    (dict(method='svd'), "'newton_schulz'"),
    (dict(method='eig', num_iters=0), 'num_iters'),
    (dict(method='none', lyapunov_iters=2.5), 'lyapunov_iters'),
])
def test_choosing_checks_every_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        normalization_function(**kwargs)


@pytest.mark.parametrize('method', METHODS)
def test_every_choice_refuses_non_square_input(method):
    with pytest.raises(ValueError, match=r'\(B, C, C\)'):
        normalization_function(method)(torch.zeros(2, 3, 4))


def test_newton_schulz_is_isqrt_cov_bit_for_bit():
    x = torch.randn(3, 8, 5, 5)
    assert torch.equal(normalized_covariance_triu(x, num_iters=3),
                       isqrt_cov(x, 3))


def test_none_is_the_upper_triangle_of_the_covariance():
    x = torch.randn(2, 4, 3, 3, dtype=f64)
    feats = x.flatten(2)
    centred = feats - feats.mean(-1, keepdim=True)
    cov = centred @ centred.mT / 9
    rows, cols = torch.triu_indices(4, 4)
    torch.testing.assert_close(normalized_covariance_triu(x, 'none'),
                               cov[:, rows, cols], rtol=0, atol=1e-14)


@pytest.mark.parametrize('method', ['eig', 'pade'])
def test_pooling_converges_to_the_exact_root(method):
    x = torch.randn(2, 4, 6, 6, dtype=f64)
    cov = covariance_matrix(x)
    rows, cols = torch.triu_indices(4, 4)
    expected = eigh_sqrt(cov)[:, rows, cols]
    out = normalized_covariance_triu(x, method)
    assert (out - expected).abs().max() < 1e-4 * expected.abs().max()


@pytest.mark.parametrize('method', METHODS)
def test_zero_sample_gives_zero_output_and_gradient(method):
    x = torch.rand(3, 6, 4, 4, dtype=f64)
    x[1] = 2.5  # constant features: zero covariance
    x.requires_grad_()
    out = normalized_covariance_triu(x, method)
    assert torch.equal(out[1], torch.zeros_like(out[1]))
    out.sum().backward()
    assert torch.equal(x.grad[1], torch.zeros_like(x.grad[1]))
    alone = normalized_covariance_triu(x.detach()[[0, 2]], method)
    torch.testing.assert_close(out.detach()[[0, 2]], alone, rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize('method', METHODS)
def test_non_finite_input_stays_in_its_sample(method):
    x = torch.rand(3, 6, 4, 4, dtype=f64)
    x[2, 1, 0, 0] = float('nan')
    x.requires_grad_()
    out = normalized_covariance_triu(x, method)
    assert not torch.isfinite(out[2]).all()
    assert torch.isfinite(out[:2]).all()
    out[:2].sum().backward()
    assert torch.isfinite(x.grad[:2]).all()
    alone = normalized_covariance_triu(x.detach()[:2], method)
    torch.testing.assert_close(out.detach()[:2], alone, rtol=0, atol=1e-12)


@pytest.mark.parametrize('method', METHODS)
def test_float32_under_bfloat16_autocast(method):
    x = torch.rand(2, 8, 5, 5)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = normalized_covariance_triu(x.bfloat16(), method)
    assert out.dtype == torch.float32
    reference = normalized_covariance_triu(x.bfloat16().float(), method)
    torch.testing.assert_close(out, reference)


@pytest.mark.parametrize('method', ['eig', 'pade'])
def test_float32_relu_features_against_float64(method):
    x = torch.randn(2, 32, 4, 4).relu()
    cov = covariance_matrix(x)
    err = relative_error(normalize_covariance(cov, method),
                         eigh_sqrt(cov.double()))
    # eig: float32 rounding; pade: its approximation at rank 15 of 32
    assert err < {'eig': 2e-3, 'pade': 0.3}[method]


# ------------------------------------------------------ compile and meta


@pytest.mark.parametrize('method', METHODS)
def test_traces_as_one_graph(method):
    """No host syncs: torch.compile sees one graph, no breaks."""
    torch._dynamo.reset()
    x = torch.randn(2, 6, 4, 4)
    explained = torch._dynamo.explain(
        lambda feats: normalized_covariance_triu(feats, method))(x)
    assert explained.graph_break_count == 0, explained.break_reasons
    assert explained.graph_count == 1


@pytest.mark.parametrize('method', METHODS)
def test_compiled_forward_and_backward_equal_eager(method):
    torch._dynamo.reset()
    x = torch.randn(2, 6, 5, 5, dtype=f64)
    compiled = torch.compile(
        lambda feats: normalized_covariance_triu(feats, method),
        backend='aot_eager', fullgraph=True)
    eager_x, compiled_x = x.clone().requires_grad_(), \
        x.clone().requires_grad_()
    weights = torch.randn(2, 21, dtype=f64)
    expected = normalized_covariance_triu(eager_x, method)
    (expected * weights).sum().backward()
    got = compiled(compiled_x)
    (got * weights).sum().backward()
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(compiled_x.grad, eager_x.grad, rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize('method', METHODS)
def test_meta_tensors_pass_through(method):
    x = torch.empty(3, 5, 4, 4, device='meta', dtype=torch.bfloat16)
    out = normalized_covariance_triu(x, method)
    assert out.device.type == 'meta'
    assert out.shape == (3, 15) and out.dtype == torch.float32


@pytest.mark.parametrize('method', METHODS)
def test_user_matmul_precision_is_restored_and_ignored(method):
    x = torch.randn(3, 24, 6, 6)
    expected = normalized_covariance_triu(x, method)
    previous = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision('high')
        got = normalized_covariance_triu(x, method)
        assert torch.get_float32_matmul_precision() == 'high'
    finally:
        torch.set_float32_matmul_precision(previous)
    assert torch.equal(got, expected)
