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
    assert neck.last_drop_rate.item() == 0.0
    torch.manual_seed(0)
    neck_eval_bn = neck  # same BN batch statistics in train mode
    expected = triu(covariance(attended(neck_eval_bn, x).flatten(2)))
    torch.testing.assert_close(out, expected)


def test_training_drops_whole_channels_and_rescales():
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=1.5).train()
    x = torch.randn(4, 16, 5, 5)
    torch.manual_seed(1)
    out = neck(x)
    rate = neck.last_drop_rate.item()
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
    assert neck.last_drop_rate.item() == 1.0 and out.abs().sum() == 0
    # still one graph through every parameter, with zero gradient
    out.sum().backward()
    for name, param in neck.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() == 0, name
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
    with pytest.raises(ValueError, match='class token'):
        DropCovPooling(8, 4, token_input=True, concat_cls_token=True)
    with pytest.raises(TypeError, match="'reduce_channels'"):
        DropCovPooling(8, reduce_channels=4)


def test_a_gcp_base_configs_iterations_still_build():
    """A DropCov neck merged over a GCP base config keeps its num_iters /
    lyapunov_iters (e.g. configs/imagenet/_base_/models/resnet18_gcp.py),
    checked as the GCP neck checks them."""
    from mmpretrain.registry import MODELS
    neck = MODELS.build(dict(type='DropCovPooling', in_channels=8,
                             reduced_channels=4, num_iters=5,
                             lyapunov_iters=8))
    assert neck.out_channels == 10
    with pytest.raises(ValueError, match='num_iters'):
        DropCovPooling(8, 4, num_iters=0)


def test_rate_covariance_records_no_graph(monkeypatch):
    """The covariance that only sets the rate is taken without autograd:
    no (B, d, d) graph kept alive until backward (the pooled covariance,
    taken after it, is in the graph)."""
    from gcp_mm.models.necks import dropcov
    from gcp_mm.ops import covariance_matrix
    recorded = []

    def recording(x):
        cov = covariance_matrix(x)
        recorded.append(cov.requires_grad)
        return cov

    monkeypatch.setattr(dropcov, 'covariance_matrix', recording)
    neck = DropCovPooling(16, reduced_channels=8, rate_scale=1.5).train()
    x = torch.randn(2, 16, 5, 5, requires_grad=True)
    neck(x).sum().backward()
    assert recorded == [False, True]
    assert x.grad.abs().sum() > 0


DDP_RATE_ONE = """
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gcp_mm.models.necks import DropCovPooling

dist.init_process_group('gloo', init_method='file://' + sys.argv[1],
                        rank=0, world_size=1)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 16, 3, padding=1),
    DropCovPooling(16, reduced_channels=8, rate_scale=0.0),
    torch.nn.Linear(36, 4))
ddp = DistributedDataParallel(model, find_unused_parameters=False)
optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(3):  # the 2nd forward is where a lost graph fails
    optimizer.zero_grad()
    loss = ddp(torch.randn(2, 3, 6, 6)).square().sum() + 1
    loss.backward()
    optimizer.step()
    assert model[1].last_drop_rate.item() == 1.0
dist.destroy_process_group()
print('steps done')
"""


def test_ddp_step_at_rate_one(tmp_path):
    """A DDP step (gloo, find_unused_parameters=False) with every channel
    dropped: the next iteration starts, as it would not if the neck cut
    the layers before it out of the graph."""
    import subprocess
    import sys
    done = subprocess.run(
        [sys.executable, '-c', DDP_RATE_ONE, str(tmp_path / 'store')],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # the last line: a library may print its own before
    assert done.stdout.strip().splitlines()[-1:] == ['steps done']
