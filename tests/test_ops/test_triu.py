"""The upper-triangle vector against an element-by-element loop."""
import pytest
import torch

from gcp_mm.ops import triu_vector

from ._matrices import f64, gradcheck_at


def test_triu_vector_is_row_major_upper_triangle():
    mat = torch.arange(2 * 4 * 4, dtype=f64).view(2, 4, 4)
    expected = torch.stack([
        torch.stack([m[i, j] for i in range(4) for j in range(i, 4)])
        for m in mat
    ])
    assert torch.equal(triu_vector(mat), expected)


@pytest.mark.parametrize('dim,size', [(256, 32896), (128, 8256),
                                      (160, 12880)])
def test_output_sizes_match_reference(dim, size):
    assert triu_vector(torch.zeros(1, dim, dim)).shape == (1, size)


def test_triu_gradcheck():
    assert gradcheck_at(triu_vector, torch.randn(2, 4, 4))
