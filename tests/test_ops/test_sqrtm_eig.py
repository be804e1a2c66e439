"""MPN-COV exact square root against independent math
(docs/normalisations.md)."""
import pytest
import torch

from gcp_mm.ops import sqrtm_eig

from ._matrices import (
    eigh_sqrt,
    f64,
    relative_error,
    relu_covariance,
    spd_with_spectrum,
)


def test_forward_is_the_root_of_a_known_spectrum():
    spd, root = spd_with_spectrum([0.3, 0.7, 1.0, 2.5, 4.0])
    torch.testing.assert_close(sqrtm_eig(spd), root, rtol=0, atol=1e-13)


@pytest.mark.parametrize('dtype,tol', [(f64, 1e-7), (torch.float32, 2e-3)])
def test_forward_on_rank_deficient_relu_covariance(dtype, tol):
    cov = relu_covariance(channels=32, side=4, dtype=dtype)
    assert torch.linalg.matrix_rank(cov.double(), rtol=1e-5).max() <= 15
    out = sqrtm_eig(cov)
    assert out.dtype == dtype
    assert relative_error(out, eigh_sqrt(cov)) < tol


def test_gradcheck_well_conditioned():
    spd, _ = spd_with_spectrum([0.5, 0.9, 1.4, 2.0])
    assert torch.autograd.gradcheck(sqrtm_eig, (spd.requires_grad_(), ))


@pytest.mark.parametrize('spectrum', [[1.0, 1.0, 1.0, 1.0],
                                      [0.5, 2.0, 2.0, 3.0],
                                      [1.0, 1.0 + 1e-12, 2.0, 3.0]])
def test_gradcheck_repeated_and_close_eigenvalues(spectrum):
    """The plain Loewner quotient is 0/0 or cancels here."""
    spd, _ = spd_with_spectrum(spectrum)
    assert torch.autograd.gradcheck(sqrtm_eig, (spd.requires_grad_(), ))


def test_gradient_at_identity_is_half_the_symmetrised_upstream():
    """d sqrt(I + t E) / dt = E / 2 for symmetric E."""
    eye = torch.eye(5, dtype=f64).repeat(2, 1, 1).requires_grad_()
    upstream = torch.randn(2, 5, 5, dtype=f64)
    sqrtm_eig(eye).backward(upstream)
    torch.testing.assert_close(eye.grad, (upstream + upstream.mT) / 4,
                               rtol=0, atol=1e-13)


def test_gradient_finite_on_rank_deficient_covariance():
    cov = relu_covariance(channels=32, side=4).requires_grad_()
    sqrtm_eig(cov).sum().backward()
    assert torch.isfinite(cov.grad).all()
    # the floor bounds 1 / (s_i + s_j) by 1 / (2 sqrt(eps * l_max))
    l_max = torch.linalg.eigvalsh(cov.detach())[:, -1]
    bound = 32 / (2 * (torch.finfo(f64).eps * l_max).sqrt())
    assert (torch.linalg.matrix_norm(cov.grad) <= bound * 32).all()


def test_rejects_non_square_input():
    with pytest.raises(ValueError, match=r'\(B, C, C\)'):
        sqrtm_eig(torch.randn(2, 3, 4))
