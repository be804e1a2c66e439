"""Every normalisation and the op on CUDA, in float32 and under float16 /
bfloat16 autocast, against float64 on the CPU (rank-deficient ReLU
features). Skipped without a GPU; `make gpu-check` gathers them."""
import pytest
import torch

from gcp_mm.ops import NORMALIZATIONS, isqrt_cov, normalized_covariance_triu

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')
METHODS = ('isqrt_cov', ) + NORMALIZATIONS
# float32: eig's eigenvalue floor (up to 9e-4, docs/normalisations.md);
# autocast: the input itself is rounded to 11 / 8 bits
BOUNDS = {None: 2e-3, torch.float16: 1e-2, torch.bfloat16: 5e-2}


def pooled(method, x):
    if method == 'isqrt_cov':
        return isqrt_cov(x)
    return normalized_covariance_triu(x, method)


def relative(approx, exact):
    diff = approx.detach().double().cpu() - exact
    return (diff.norm() / exact.norm()).item()


@pytest.mark.parametrize('dtype', [None, torch.float16, torch.bfloat16],
                         ids=['float32', 'float16', 'bfloat16'])
@pytest.mark.parametrize('method', METHODS)
def test_cuda_matches_float64_cpu(method, dtype):
    gen = torch.Generator().manual_seed(0)
    x64 = torch.randn(4, 64, 7, 7, generator=gen,
                      dtype=torch.float64).relu_()  # rank <= 48 of 64
    ref_in = x64.clone().requires_grad_()
    ref = pooled(method, ref_in)
    upstream = torch.randn(ref.shape, generator=gen, dtype=torch.float64)
    ref.backward(upstream)
    x = x64.float().cuda().requires_grad_()
    with torch.autocast('cuda', dtype=dtype or torch.float16,
                        enabled=dtype is not None):
        out = pooled(method, x if dtype is None else x.to(dtype))
    assert out.dtype == torch.float32 and out.is_cuda
    out.backward(upstream.float().cuda())
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert relative(out, ref.detach()) < BOUNDS[dtype]
    assert relative(x.grad, ref_in.grad) < 10 * BOUNDS[dtype]
