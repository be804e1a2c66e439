"""iSQRT-COV's Newton-Schulz square root against independent math
(docs/reference.md section 1)."""
import pytest
import torch

from gcp_mm.ops import sqrtm_newton_schulz

from ._matrices import f64, gradcheck_at_spectrum, well_conditioned_spd


def test_sqrtm_converges_to_eigendecomposition_root():
    spd, q, eig = well_conditioned_spd()
    expected = q @ torch.diag_embed(eig.sqrt()) @ q.mT
    torch.testing.assert_close(
        sqrtm_newton_schulz(spd, num_iters=25), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize('num_iters', [1, 2, 3, 5])
def test_sqrtm_equals_newton_schulz_recursion(num_iters):
    """Hand-written recursion of docs/reference.md section 1, explicit I."""
    spd, _, _ = well_conditioned_spd()
    trace = spd.diagonal(dim1=1, dim2=2).sum(1).view(-1, 1, 1)
    a = spd / trace
    eye = torch.eye(6, dtype=f64)
    y, z = a, eye.expand_as(a)
    for _ in range(num_iters - 1):
        t = 0.5 * (3 * eye - z @ y)
        y, z = y @ t, t @ z
    expected = 0.5 * y @ (3 * eye - z @ y) * trace.sqrt()
    torch.testing.assert_close(
        sqrtm_newton_schulz(spd, num_iters), expected, rtol=0, atol=1e-13)


def test_single_iteration_closed_form():
    spd, _, _ = well_conditioned_spd()
    trace = spd.diagonal(dim1=1, dim2=2).sum(1).view(-1, 1, 1)
    a = spd / trace
    expected = 0.5 * a @ (3 * torch.eye(6, dtype=f64) - a) * trace.sqrt()
    torch.testing.assert_close(
        sqrtm_newton_schulz(spd, 1), expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize('num_iters', [1, 2, 3, 5])
def test_sqrtm_gradcheck(num_iters):
    assert gradcheck_at_spectrum(lambda c: sqrtm_newton_schulz(c, num_iters),
                                 torch.linspace(0.5, 2.0, 4))


def test_gradient_converges_to_sylvester_solution():
    """d sqrt(A)[E] solves sqrt(A) L + L sqrt(A) = E; its adjoint in the
    eigenbasis is (U^T G U) / (sqrt(l_i) + sqrt(l_j))."""
    spd, q, eig = well_conditioned_spd(batch=2, dim=5)
    grad_out = torch.randn(2, 5, 5, dtype=f64)
    grad_out = grad_out + grad_out.mT
    inp = spd.clone().requires_grad_()
    out = sqrtm_newton_schulz(inp, num_iters=30)
    grad, = torch.autograd.grad((out * grad_out).sum(), inp)
    root = eig.sqrt()
    denom = root.unsqueeze(-1) + root.unsqueeze(-2)
    expected = q @ ((q.mT @ grad_out @ q) / denom) @ q.mT
    torch.testing.assert_close((grad + grad.mT) / 2, expected, rtol=0,
                               atol=1e-10)


def test_negative_trace_is_not_hidden():
    mat = -torch.eye(3, dtype=f64).expand(1, 3, 3)
    assert torch.isnan(sqrtm_newton_schulz(mat)).all()


@pytest.mark.parametrize('num_iters', [0, -1, 2.0, True])
def test_bad_num_iters(num_iters):
    with pytest.raises(ValueError, match='num_iters'):
        sqrtm_newton_schulz(torch.eye(3).expand(1, 3, 3), num_iters)
