"""The necks' checkpoint keys, written out: a renamed or moved submodule
would stop every saved checkpoint (ours and the converted paper's) from
loading, so the names are pinned here, not derived from the code."""
import pytest
import torch

import gcp_mm  # noqa: F401  registers the modules
from gcp_mm.models.necks import DropCovPooling, GlobalCovariancePooling

REDUCTION = {
    'reduction.0.weight': (8, 16, 1, 1),
    'reduction.1.weight': (8, ),
    'reduction.1.bias': (8, ),
    'reduction.1.running_mean': (8, ),
    'reduction.1.running_var': (8, ),
    'reduction.1.num_batches_tracked': (),
}


@pytest.mark.parametrize('neck,expected', [
    (lambda: GlobalCovariancePooling(16, reduced_channels=8), REDUCTION),
    (lambda: GlobalCovariancePooling(16, reduced_channels=8,
                                     normalization='pade'), REDUCTION),
    (lambda: GlobalCovariancePooling(16, reduced_channels=None), {}),
    (lambda: DropCovPooling(16, reduced_channels=8),
     dict(REDUCTION, **{'eca.weight': (1, 1, 3)})),
    (lambda: DropCovPooling(16, reduced_channels=None),
     {'eca.weight': (1, 1, 3)}),
], ids=['gcp', 'gcp-pade', 'gcp-no-reduction', 'dropcov',
        'dropcov-no-reduction'])
def test_checkpoint_keys(neck, expected):
    state = neck().state_dict()
    assert {key: tuple(value.shape) for key, value in state.items()} == \
        expected


def test_a_checkpoint_of_the_gcp_neck_loads_into_dropcov():
    """The shared reduction has the same keys in both necks, so DropCov
    can start from a GCP neck's weights (strict=False for its ECA)."""
    gcp = GlobalCovariancePooling(16, reduced_channels=8)
    with torch.no_grad():
        gcp.reduction[0].weight.normal_()
    dropcov = DropCovPooling(16, reduced_channels=8)
    missing, unexpected = dropcov.load_state_dict(gcp.state_dict(),
                                                  strict=False)
    assert missing == ['eca.weight'] and unexpected == []
    assert torch.equal(dropcov.reduction[0].weight, gcp.reduction[0].weight)
