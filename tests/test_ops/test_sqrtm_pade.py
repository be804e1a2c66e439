"""MPA-Lya (Padé forward, Lyapunov backward) against independent math
(docs/normalisations.md)."""
import mpmath
import pytest
import torch

from gcp_mm.ops import sqrtm_eig, sqrtm_pade
from gcp_mm.ops.sqrtm_pade import pade_coefficients

from ._matrices import (
    eigh_sqrt,
    f64,
    gradcheck_at_spectrum,
    relative_error,
    relu_covariance,
    spd_with_spectrum,
)


def mpmath_pade():
    taylor = mpmath.taylor(lambda z: mpmath.sqrt(1 - z), 0, 10)
    return [[float(c) for c in poly] for poly in mpmath.pade(taylor, 5, 5)]


def test_coefficients_match_mpmath_pade():
    p, q = pade_coefficients()
    ref_p, ref_q = mpmath_pade()
    torch.testing.assert_close([float(v) for v in p], ref_p, rtol=1e-12,
                               atol=0)
    torch.testing.assert_close([float(v) for v in q], ref_q, rtol=1e-12,
                               atol=0)


def scalar_pade_root(mat):
    """The [5/5] approximant applied to the eigenvalues (float64, mpmath's
    coefficients): what the forward must equal exactly."""
    ref_p, ref_q = mpmath_pade()
    eig, vec = torch.linalg.eigh(mat)
    norm = torch.linalg.matrix_norm(mat).unsqueeze(-1)
    z = 1 - eig / norm
    num = sum(c * z**k for k, c in enumerate(ref_p))
    den = sum(c * z**k for k, c in enumerate(ref_q))
    return (vec * (num / den * norm.sqrt()).unsqueeze(1)) @ vec.mT


@pytest.mark.parametrize('make', [
    lambda: spd_with_spectrum([0.3, 0.7, 1.0, 2.5, 4.0])[0],
    lambda: relu_covariance(channels=32, side=4),
])
def test_forward_is_the_pade_approximant_of_the_spectrum(make):
    mat = make()
    torch.testing.assert_close(sqrtm_pade(mat), scalar_pade_root(mat),
                               rtol=0, atol=1e-11)


def test_accuracy_against_exact_root():
    """Measured accuracy: the approximant is exact to rounding when the
    eigenvalues of A = Sigma / ||Sigma||_F are not small, and loses
    accuracy towards z = 1 (zero eigenvalues): there sqrt(0) becomes
    P(1) / Q(1) = 1/11 (docs/normalisations.md)."""
    spd, root = spd_with_spectrum([1.0, 1.5, 2.0])
    # eigenvalues of A 0.37..0.74, z <= 0.63: measured 1.6e-7
    assert relative_error(sqrtm_pade(spd), root.double()) < 1e-6
    spd, root = spd_with_spectrum([1.0, 1.5, 2.0, 0.0])
    err = relative_error(sqrtm_pade(spd), root.double())
    # one zero eigenvalue of A, z = 1: error sqrt(n) / 11 on it
    expected = (torch.linalg.matrix_norm(spd).sqrt() / 11 /
                torch.linalg.matrix_norm(root)).max().item()
    assert err == pytest.approx(expected, rel=1e-6)
    cov = relu_covariance(channels=32, side=4)
    err = relative_error(sqrtm_pade(cov), eigh_sqrt(cov))
    assert 0.1 < err < 0.3  # measured 0.21: rank 15 of 32


def test_gradcheck_of_the_whole_map():
    """Includes the path through ||Sigma||_F, which the authors' code
    leaves out. The Lyapunov backward is the derivative of the exact root,
    so the matrix is one where the approximant is exact to ~1e-7, below
    gradcheck's tolerance."""
    assert gradcheck_at_spectrum(sqrtm_pade, [1.0, 1.5, 2.0])


def test_gradient_matches_exact_root_gradient():
    """Against MPN-COV's (eigendecomposition) gradient, whose own
    gradcheck is in test_sqrtm_eig.py: they differ by the Padé forward's
    own error (the Lyapunov iteration converges at these spectra)."""
    spd, root = spd_with_spectrum(torch.linspace(1.0, 2.0, 12))
    forward_error = relative_error(sqrtm_pade(spd), root)  # 2.2e-5
    upstream = torch.randn_like(spd)
    grads = []
    for fn in (sqrtm_pade, sqrtm_eig):
        mat = spd.clone().requires_grad_()
        fn(mat).backward(upstream)
        grads.append(mat.grad)
    assert relative_error(grads[0], grads[1]) < 2 * forward_error


def test_gradient_at_identity_is_half_the_symmetrised_upstream():
    eye = torch.eye(4, dtype=f64).repeat(2, 1, 1).requires_grad_()
    upstream = torch.randn(2, 4, 4, dtype=f64)
    sqrtm_pade(eye).backward(upstream)
    torch.testing.assert_close(eye.grad, (upstream + upstream.mT) / 4,
                               rtol=0, atol=1e-7)


def test_gradient_finite_on_rank_deficient_covariance():
    cov = relu_covariance(channels=32, side=4).requires_grad_()
    sqrtm_pade(cov).sum().backward()
    assert torch.isfinite(cov.grad).all()


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r'\(B, C, C\)'):
        sqrtm_pade(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match='lyapunov_iters'):
        sqrtm_pade(torch.eye(3).expand(2, 3, 3), lyapunov_iters=0)


def test_runs_after_the_thread_count_changed():
    """MKL's batched LU fails once torch's thread count has been changed
    in the process (a 256-d batch); the Cholesky solve does not."""
    from gcp_mm.ops import normalized_covariance_triu
    torch.manual_seed(0)
    x = torch.relu(torch.randn(2, 256, 4, 4))
    before = normalized_covariance_triu(x, 'pade')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_num_threads(max(threads, 2))
    try:
        after = normalized_covariance_triu(x, 'pade')
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-6)
