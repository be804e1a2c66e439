"""Test matrices with known square roots, shared by the op tests."""
import torch

f64 = torch.float64


def spd_with_spectrum(eigvals, batch=2, dtype=f64):
    """(B, C, C) Q diag(eigvals) Q^T with random orthogonal Q, and its
    exact square root Q diag(sqrt(eigvals)) Q^T."""
    eigvals = torch.as_tensor(eigvals, dtype=dtype)
    dim = eigvals.numel()
    q, _ = torch.linalg.qr(torch.randn(batch, dim, dim, dtype=dtype))
    return (q * eigvals) @ q.mT, (q * eigvals.sqrt()) @ q.mT


def random_features(batch=3, channels=5, height=4, width=3, dtype=f64):
    """(B, C, H, W) standard normal features."""
    return torch.randn(batch, channels, height, width, dtype=dtype)


def well_conditioned_spd(batch=3, dim=6, dtype=f64):
    """(Q diag(eig) Q^T, Q, eig), eigenvalues evenly in [0.5, 2]."""
    q, _ = torch.linalg.qr(torch.randn(batch, dim, dim, dtype=dtype))
    eig = torch.linspace(0.5, 2.0, dim, dtype=dtype).expand(batch, dim)
    return q @ torch.diag_embed(eig) @ q.mT, q, eig


def relu_covariance(batch=3, channels=32, side=4, dtype=f64):
    """Covariance of ReLU features with M = side^2 < C positions: rank
    at most M - 1, as real covariances are."""
    x = torch.randn(batch, channels, side * side, dtype=f64).relu()
    xc = x - x.mean(-1, keepdim=True)
    return (xc @ xc.mT / x.shape[-1]).to(dtype)


def eigh_sqrt(mat):
    """Float64 reference root, negative rounding eigenvalues set to 0."""
    eig, vec = torch.linalg.eigh(mat.double())
    return (vec * eig.clamp(min=0).sqrt().unsqueeze(1)) @ vec.mT


def relative_error(approx, exact):
    diff = torch.linalg.matrix_norm(approx.double() - exact)
    return (diff / torch.linalg.matrix_norm(exact)).max().item()


def gradcheck_at(fn, *inputs):
    """The op tests' one gradcheck: ``torch.autograd.gradcheck`` of ``fn``
    at float64 copies of ``inputs`` that require grad."""
    inputs = tuple(t.detach().to(f64).requires_grad_() for t in inputs)
    return torch.autograd.gradcheck(fn, inputs)


def gradcheck_at_spectrum(fn, eigvals, batch=2):
    """``gradcheck_at`` a (B, C, C) matrix function ``fn`` on
    Q diag(eigvals) Q^T, Q random orthogonal."""
    spd, _ = spd_with_spectrum(eigvals, batch)
    return gradcheck_at(fn, spd)
