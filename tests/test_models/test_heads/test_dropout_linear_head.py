"""DropoutLinearClsHead: torchvision's MobileNetV2 classifier,
Dropout + Linear, as an mmpretrain head."""
import pytest
import torch

from gcp_mm.models import DropoutLinearClsHead


def test_eval_is_the_linear_layer():
    head = DropoutLinearClsHead(num_classes=5, in_channels=12,
                                dropout_rate=0.5).eval()
    feats = torch.randn(3, 12)
    expected = feats @ head.fc.weight.T + head.fc.bias
    torch.testing.assert_close(head((feats, )), expected)


def test_training_drops_and_rescales_features():
    torch.manual_seed(0)
    head = DropoutLinearClsHead(num_classes=2, in_channels=4000,
                                dropout_rate=0.25).train()
    feats = torch.ones(1, 4000)
    kept = head.pre_logits((feats, ))
    assert sorted(set(kept.flatten().tolist())) == [
        0.0, pytest.approx(1 / 0.75)]
    assert (kept == 0).float().mean().item() == pytest.approx(0.25,
                                                              abs=0.03)


@pytest.mark.parametrize('rate', [-0.1, 1.0])
def test_rejects_bad_rates(rate):
    with pytest.raises(ValueError, match=r'dropout_rate must be in \[0, 1\)'):
        DropoutLinearClsHead(num_classes=2, in_channels=4, dropout_rate=rate)
