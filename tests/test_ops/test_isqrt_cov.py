"""iSQRT-COV pooling (covariance, Newton-Schulz, upper triangle) against
independent math (docs/reference.md section 1); its three steps have their
own test files."""
from unittest import mock

import pytest
import torch

from gcp_mm.ops import (
    covariance_matrix,
    isqrt_cov,
    sqrtm_newton_schulz,
    triu_vector,
)
from gcp_mm.testing import plain_isqrt_cov

from ._matrices import f64, gradcheck_at, random_features


def eigh_sqrt(mat):
    eig, vec = torch.linalg.eigh(mat)
    return vec @ torch.diag_embed(eig.clamp(min=0).sqrt()) @ vec.mT


# ---------------------------------------------------------------- forward


def test_isqrt_cov_converges_to_eigendecomposition_root():
    x = random_features(channels=4, height=6, width=6)
    cov = covariance_matrix(x)
    expected = eigh_sqrt(cov)
    rows, cols = torch.triu_indices(4, 4)
    torch.testing.assert_close(
        isqrt_cov(x, num_iters=40), expected[:, rows, cols], rtol=0,
        atol=1e-10)


# --------------------------------------------------------------- backward


@pytest.mark.parametrize('num_iters', [1, 5])
def test_isqrt_cov_gradcheck(num_iters):
    assert gradcheck_at(lambda t: isqrt_cov(t, num_iters),
                        random_features(batch=2, channels=4))


def test_matches_plain_autograd_at_five_iterations():
    x = random_features(batch=4, channels=8, height=5, width=5)
    weight = torch.randn(4, 36, dtype=f64)
    results = []
    for fn in (isqrt_cov, plain_isqrt_cov):
        inp = x.clone().requires_grad_()
        out = fn(inp, 5)
        grad, = torch.autograd.grad((out * weight).sum(), inp)
        results.append((out, grad))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-12,
                               atol=1e-13)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-10,
                               atol=1e-12)


# ----------------------------------------------------------- mixed precision


def test_autocast_cpu_bf16_runs_in_float32():
    x = torch.randn(2, 16, 7, 7)
    conv = torch.nn.Conv2d(16, 16, 1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = conv(x)
        assert feats.dtype == torch.bfloat16
        out = isqrt_cov(feats)
        cov = covariance_matrix(feats)
        root = sqrtm_newton_schulz(cov)
    assert out.dtype == cov.dtype == root.dtype == torch.float32
    assert torch.isfinite(out).all()
    expected = isqrt_cov(feats.detach().float())
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert conv.weight.grad.dtype == torch.float32
    assert torch.isfinite(conv.weight.grad).all()


def test_half_input_is_promoted():
    x = torch.randn(2, 4, 5, 5).half()
    out = isqrt_cov(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, isqrt_cov(x.float()))


# ---------------------------------------------------------------- degenerate


def test_zero_feature_map_gives_zero_output_and_gradient():
    x = random_features(batch=3)
    x[1] = 0.0  # trace 0
    x.requires_grad_()
    out = isqrt_cov(x)
    assert torch.equal(out[1], torch.zeros_like(out[1]))
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert torch.equal(x.grad[1], torch.zeros_like(x.grad[1]))
    # the other samples are computed as if alone
    alone = x.detach()[[0, 2]].clone().requires_grad_()
    isqrt_cov(alone).sum().backward()
    torch.testing.assert_close(out[[0, 2]], isqrt_cov(alone), rtol=0,
                               atol=0)
    torch.testing.assert_close(x.grad[[0, 2]], alone.grad, rtol=0, atol=0)


def test_constant_and_single_position_maps_are_zero():
    for x in (torch.full((2, 3, 4, 4), 7.0), torch.randn(2, 3, 1, 1)):
        x.requires_grad_()
        out = isqrt_cov(x)
        assert torch.equal(out, torch.zeros_like(out))
        out.sum().backward()
        assert torch.equal(x.grad, torch.zeros_like(x.grad))


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_input_propagates_to_its_sample_only(bad):
    x = random_features(batch=2)
    x[0, 1, 2, 1] = bad
    out = isqrt_cov(x)
    assert not torch.isfinite(out[0]).all()
    torch.testing.assert_close(out[1], isqrt_cov(x[1:]).squeeze(0),
                               rtol=0, atol=0)


# -------------------------------------------------------------- bad shapes


@pytest.mark.parametrize('fn,shape,expected', [
    (covariance_matrix, (2, 3, 4), r'\(B, C, H, W\)'),
    (isqrt_cov, (2, 3, 4, 4, 1), r'\(B, C, H, W\)'),
    (sqrtm_newton_schulz, (2, 3, 4), r'\(B, C, C\)'),
    (sqrtm_newton_schulz, (3, 3), r'\(B, C, C\)'),
    (triu_vector, (2, 3, 2), r'\(B, C, C\)'),
])
def test_wrong_shape_raises_naming_expected_shape(fn, shape, expected):
    with pytest.raises(ValueError, match=expected):
        fn(torch.zeros(shape))


# ---------------------------------------------------------------------- CUDA

cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason='needs a CUDA device')


@cuda
def test_cuda_matches_cpu_float64():
    x = random_features(batch=4, channels=8, height=5, width=5)
    weight = torch.randn(4, 36, dtype=f64)
    grads = []
    outs = []
    for device in ('cpu', 'cuda'):
        inp = x.to(device).requires_grad_()
        out = isqrt_cov(inp)
        (out * weight.to(device)).sum().backward()
        outs.append(out.cpu())
        grads.append(inp.grad.cpu())
    torch.testing.assert_close(outs[1], outs[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-10, atol=1e-12)


@cuda
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_cuda_autocast_runs_in_float32(dtype):
    conv = torch.nn.Conv2d(64, 64, 1).cuda()
    x = torch.randn(4, 64, 14, 14, device='cuda')
    with torch.autocast('cuda', dtype=dtype):
        feats = conv(x)
        assert feats.dtype == dtype
        out = isqrt_cov(feats)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    torch.testing.assert_close(out, isqrt_cov(feats.detach().float()))
    out.sum().backward()
    assert torch.isfinite(conv.weight.grad).all()


def test_float32_tracks_float64_on_relu_features():
    x = torch.relu(torch.randn(4, 64, 7, 7, dtype=f64))
    weight = torch.randn(4, 64 * 65 // 2, dtype=f64)
    results = []
    for dtype in (f64, torch.float32):
        inp = x.to(dtype).detach().requires_grad_()
        out = isqrt_cov(inp)
        out.backward(weight.to(dtype))
        results.append((out.double(), inp.grad.double()))
    (out64, grad64), (out32, grad32) = results
    assert ((out32 - out64).norm() / out64.norm()).item() < 1e-5
    assert ((grad32 - grad64).norm() / grad64.norm()).item() < 1e-5


# ------------------------------------------------- export, compile, meta


class _IsqrtCovModule(torch.nn.Module):
    def forward(self, x):
        return isqrt_cov(x)


def test_eager_forward_after_an_export_of_a_fresh_shape():
    """torch.export of a channel count never seen before must leave no
    fake tensor behind (a module-level index cache did, and every later
    eager call failed on it)."""
    x = torch.randn(2, 7, 3, 3)  # 7 channels: no other test uses them
    # non-strict, as torch.onnx.export(dynamo=True) traces
    program = torch.export.export(_IsqrtCovModule(), (x, ), strict=False)
    torch.testing.assert_close(program.module()(x), plain_isqrt_cov(x))
    eager = isqrt_cov(x)
    assert type(eager) is torch.Tensor  # not a FakeTensor of the trace
    assert eager.numpy().shape == (2, 28)
    torch.testing.assert_close(eager, plain_isqrt_cov(x))


def test_meta_tensors_pass_through():
    x = torch.empty(2, 6, 4, 4, device='meta')
    out = isqrt_cov(x)
    assert out.device.type == 'meta' and out.shape == (2, 21)


def test_full_float32_matmul_precision_under_high_and_restored():
    x = torch.randn(4, 32, 7, 7)
    expected = isqrt_cov(x)
    previous = torch.get_float32_matmul_precision()
    seen = []
    real_bmm = torch.bmm

    def recording_bmm(*args, **kwargs):
        seen.append(torch.get_float32_matmul_precision())
        return real_bmm(*args, **kwargs)

    try:
        torch.set_float32_matmul_precision('high')
        xg = x.clone().requires_grad_()
        with mock.patch.object(torch, 'bmm', recording_bmm):
            out = isqrt_cov(xg)
            out.sum().backward()
        assert torch.get_float32_matmul_precision() == 'high'
    finally:
        torch.set_float32_matmul_precision(previous)
    assert seen and set(seen) == {'highest'}  # forward and backward
    assert torch.equal(out.detach(), expected)
