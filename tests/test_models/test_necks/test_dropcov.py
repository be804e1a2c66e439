"""DropCov against its formulas (docs/normalisations.md)."""
import math

import pytest
import torch

import gcp_mm  # noqa: F401  registers the modules
from gcp_mm.models.necks import DropCovPooling, dropcov_rate


def covariance(feats):
    """(B, C, M) -> (B, C, C), centred, divided by M."""
    centred = feats - feats.mean(-1, keepdim=True)
    return centred @ centred.mT / feats.shape[-1]


def triu(mat):
    rows, cols = torch.triu_indices(mat.shape[-1], mat.shape[-1])
    return mat[:, rows, cols]


def test_rate_formula():
    weights = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    cov = torch.diag_embed(torch.tensor([[1., 2, 3, 4], [1, 1, 1, 1]]))
    cos0 = 3.0 / (math.sqrt(0.3) * math.sqrt(30))  # <w,r> / |w| |r|
    cos1 = 1.0 / (math.sqrt(0.3) * 2)
    expected = 1 - 10 / math.log2(4) * (cos0 + cos1) / 2
    assert dropcov_rate(weights, cov, 10.0).item() == pytest.approx(
        max(expected, 0.0))
    expected = 1 - 0.5 / 2 * (cos0 + cos1) / 2
    assert dropcov_rate(weights, cov, 0.5).item() == pytest.approx(expected)


def test_inference_is_plain_covariance_of_the_reduction():
    neck = DropCovPooling(16, reduced_channels=8).eval()
    x = torch.randn(2, 16, 5, 5)
    expected = triu(covariance(neck.reduction(x).flatten(2)))
    torch.testing.assert_close(neck(x), expected)
    assert neck.out_channels == 36


def attended(neck, x):
    feats = neck.reduction(x)
    weights = neck.eca(feats.mean((2, 3)).unsqueeze(1)).squeeze(1)
    return feats * (1 + weights.softmax(1)[..., None, None])


def test_training_with_rate_zero_is_covariance_of_attended_features():
    # rate_scale so large that p clamps to 0 (positive cosines: ReLU
    # features and softmax weights), nothing dropped
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=1e6).train()
    x = torch.randn(2, 16, 5, 5)
    out = neck(x)
    assert neck.last_drop_rate == 0.0
    torch.manual_seed(0)
    neck_eval_bn = neck  # same BN batch statistics in train mode
    expected = triu(covariance(attended(neck_eval_bn, x).flatten(2)))
    torch.testing.assert_close(out, expected)


def test_training_drops_whole_channels_and_rescales():
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=1.5).train()
    x = torch.randn(4, 16, 5, 5)
    torch.manual_seed(1)
    out = neck(x)
    rate = neck.last_drop_rate
    assert 0.0 < rate < 1.0
    full = covariance(attended(neck, x).flatten(2))
    rows, cols = torch.triu_indices(8, 8)
    cov = torch.zeros(4, 8, 8)
    cov[:, rows, cols] = out.detach()
    diag = cov.diagonal(dim1=1, dim2=2)
    kept = diag > 0
    assert (~kept).any() and kept.any()
    # kept channels: covariance scaled by 1 / (1 - p)^2
    torch.testing.assert_close(
        diag[kept], full.detach().diagonal(dim1=1, dim2=2)[kept] /
        (1 - rate)**2, rtol=1e-4, atol=1e-6)
    # a dropped channel has a zero row
    dropped = (~kept).nonzero()[0]
    assert cov[dropped[0], dropped[1]].abs().sum() == 0


def test_rate_one_drops_everything_and_eca_learns():
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=0.0).train()
    out = neck(torch.randn(2, 16, 5, 5))
    assert neck.last_drop_rate == 1.0 and out.abs().sum() == 0
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=1e6).train()
    neck(torch.randn(2, 16, 5, 5)).square().sum().backward()
    assert neck.eca.weight.grad.abs().sum() > 0


def test_token_input():
    neck = DropCovPooling(12, reduced_channels=6, token_input=True).eval()
    assert neck(torch.randn(2, 1 + 9, 12)).shape == (2, 21)


def test_bad_arguments():
    with pytest.raises(ValueError, match='normalisation'):
        DropCovPooling(8, 4, normalization='eig')
    with pytest.raises(ValueError, match='eca_kernel_size'):
        DropCovPooling(8, 4, eca_kernel_size=2)
