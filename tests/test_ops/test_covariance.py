"""The covariance of the positions against the dense I_hat formula
(docs/reference.md section 1)."""
import pytest
import torch

from gcp_mm.ops import covariance_matrix

from ._matrices import f64, gradcheck_at, random_features


def test_covariance_matches_dense_i_hat_formula():
    x = random_features()
    batch, channels, height, width = x.shape
    m = height * width
    i_hat = (torch.eye(m, dtype=f64) - torch.ones(m, m, dtype=f64) / m) / m
    feats = x.reshape(batch, channels, m)
    expected = feats @ i_hat @ feats.mT
    torch.testing.assert_close(covariance_matrix(x), expected, rtol=0,
                               atol=1e-13)


def test_covariance_gradcheck():
    assert gradcheck_at(covariance_matrix, random_features(batch=2,
                                                           channels=3))


def test_integer_input_raises():
    with pytest.raises(TypeError, match='floating point'):
        covariance_matrix(torch.ones(1, 2, 3, 3, dtype=torch.int64))
