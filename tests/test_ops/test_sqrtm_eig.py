"""MPN-COV exact square root against independent math
(docs/normalisations.md)."""
import pytest
import torch

from gcp_mm.ops import sqrtm_eig

from ._matrices import (
    eigh_sqrt,
    f64,
    gradcheck_at_spectrum,
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
    assert gradcheck_at_spectrum(sqrtm_eig, [0.5, 0.9, 1.4, 2.0])


@pytest.mark.parametrize('spectrum', [[1.0, 1.0, 1.0, 1.0],
                                      [0.5, 2.0, 2.0, 3.0],
                                      [1.0, 1.0 + 1e-12, 2.0, 3.0]])
def test_gradcheck_repeated_and_close_eigenvalues(spectrum):
    """The plain Loewner quotient is 0/0 or cancels here."""
    assert gradcheck_at_spectrum(sqrtm_eig, spectrum)


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


# ------------------------------------------- eigh failing on a whole batch

NOT_CONVERGED = ('linalg.eigh: (Batch element 1): The algorithm failed to '
                 'converge because the input matrix is ill-conditioned or '
                 'has too many repeated eigenvalues (error code: 17).')


def failing_eigh(monkeypatch, fails):
    """torch.linalg.eigh that raises as LAPACK / cuSOLVER do for the
    dtypes in ``fails`` (no real float32 matrix reliably fails here)."""
    original = torch.linalg.eigh
    calls = []

    def eigh(mat, *args, **kwargs):
        calls.append(mat.dtype)
        if mat.dtype in fails:
            raise torch.linalg.LinAlgError(NOT_CONVERGED)
        return original(mat, *args, **kwargs)

    monkeypatch.setattr(torch.linalg, 'eigh', eigh)
    return calls


def test_float32_failure_is_decomposed_again_in_float64(monkeypatch):
    spd, root = spd_with_spectrum([0.3, 0.7, 1.0, 2.5, 4.0])
    calls = failing_eigh(monkeypatch, {torch.float32})
    inp = spd.float().requires_grad_()
    with pytest.warns(UserWarning, match='decomposing it in float64'):
        out = sqrtm_eig(inp)
    assert calls == [torch.float32, f64]
    assert out.dtype == torch.float32
    # float64 work on float32-rounded input: float32 rounding, no worse
    assert relative_error(out, root) < 1e-6
    out.sum().backward()
    assert torch.isfinite(inp.grad).all()


def test_failure_in_float64_too_is_one_clear_error(monkeypatch):
    from gcp_mm.ops.sqrtm_eig import EigenDecompositionError
    failing_eigh(monkeypatch, {torch.float32, f64})
    with pytest.warns(UserWarning):
        with pytest.raises(EigenDecompositionError) as err:
            sqrtm_eig(relu_covariance(channels=8, side=2).float())
    line = str(err.value)
    assert '\n' not in line and len(line) < 400
    assert 'did not converge on a 3x8x8 batch' in line
    assert "normalization='newton_schulz'" in line


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='needs a CUDA device')
def test_cuda_matches_float64_cpu_reference():
    """cuSOLVER's batched eigh at the paper's size: forward and gradient
    against the float64 CPU computation."""
    cov = relu_covariance(batch=4, channels=256, side=14)
    upstream = torch.randn_like(cov)
    ref_in = cov.clone().requires_grad_()
    sqrtm_eig(ref_in).backward(upstream)
    inp = cov.float().cuda().requires_grad_()
    out = sqrtm_eig(inp)
    out.backward(upstream.float().cuda())
    assert relative_error(out.cpu(), eigh_sqrt(cov)) < 1e-4
    assert torch.isfinite(inp.grad).all()
