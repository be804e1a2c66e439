"""Token input (ViT / DeiT ``out_type='raw'``) and So-ViT's class token."""
import pytest
import torch

import gcp_mm  # noqa: F401  registers the modules
from gcp_mm.models import GlobalCovariancePooling
from gcp_mm.models.necks import BackboneOutputError

f64 = torch.float64


def triu_eigh_sqrt_of_token_covariance(tokens):
    """(B, N, C) patch tokens -> triu(sqrt(cov)) by float64 eigh."""
    feats = tokens.transpose(1, 2)
    centred = feats - feats.mean(-1, keepdim=True)
    cov = centred @ centred.mT / feats.shape[-1]
    eig, vec = torch.linalg.eigh(cov)
    root = (vec * eig.clamp(min=0).sqrt().unsqueeze(1)) @ vec.mT
    rows, cols = torch.triu_indices(cov.shape[-1], cov.shape[-1])
    return root[:, rows, cols]


def test_covariance_over_patch_tokens_only():
    neck = GlobalCovariancePooling(6, reduced_channels=None,
                                   normalization='eig', token_input=True)
    tokens = torch.randn(2, 1 + 16, 6, dtype=f64)
    tokens[:, 0] = 1e3  # the class token must not enter the covariance
    expected = triu_eigh_sqrt_of_token_covariance(tokens[:, 1:])
    torch.testing.assert_close(neck(tokens), expected, rtol=0, atol=1e-12)


def test_distillation_token_skipped_too():
    neck = GlobalCovariancePooling(6, reduced_channels=None,
                                   normalization='eig', token_input=True,
                                   num_extra_tokens=2)
    tokens = torch.randn(2, 2 + 9, 6, dtype=f64)
    expected = triu_eigh_sqrt_of_token_covariance(tokens[:, 2:])
    torch.testing.assert_close(neck(tokens), expected, rtol=0, atol=1e-12)


def test_concat_cls_token_so_vit():
    neck = GlobalCovariancePooling(6, reduced_channels=None,
                                   normalization='eig', token_input=True,
                                   concat_cls_token=True)
    assert neck.out_channels == 6 + 21
    tokens = torch.randn(2, 1 + 16, 6, dtype=f64)
    out = neck(tokens)
    assert out.shape == (2, 27)
    torch.testing.assert_close(out[:, :6], tokens[:, 0], rtol=0, atol=0)
    torch.testing.assert_close(
        out[:, 6:], triu_eigh_sqrt_of_token_covariance(tokens[:, 1:]),
        rtol=0, atol=1e-12)


def test_reduction_applies_to_tokens():
    neck = GlobalCovariancePooling(32, reduced_channels=8, token_input=True,
                                   concat_cls_token=True)
    neck.eval()
    tokens = torch.randn(2, 1 + 16, 32)
    conv = neck.reduction[0]
    out = neck(tokens)
    assert out.shape == (2, 32 + 36)
    reduced = neck.reduction(tokens[:, 1:].transpose(1, 2).unsqueeze(-1))
    torch.testing.assert_close(
        reduced[..., 0], neck.reduction[2](neck.reduction[1](
            torch.einsum('oc,bcn->bon', conv.weight[..., 0, 0],
                         tokens[:, 1:].transpose(1, 2)).unsqueeze(-1)))[
                             ..., 0])


def test_on_mmpretrain_vision_transformer_raw_output():
    from mmpretrain.models.backbones import VisionTransformer
    vit = VisionTransformer(arch='deit-tiny', img_size=32, patch_size=8,
                            out_type='raw')
    tokens = vit(torch.randn(2, 3, 32, 32))
    assert tokens[-1].shape == (2, 1 + 16, 192)
    neck = GlobalCovariancePooling(192, reduced_channels=16,
                                   token_input=True, concat_cls_token=True)
    out = neck(tokens)
    assert out[-1].shape == (2, neck.out_channels) == (2, 192 + 136)


def test_wrong_inputs_are_explained():
    with pytest.raises(BackboneOutputError,
                       match='gap_before_final_norm=False'):
        GlobalCovariancePooling(8, 4)(torch.randn(2, 8))
    with pytest.raises(BackboneOutputError, match='token_input=True'):
        GlobalCovariancePooling(8, 4)(torch.randn(2, 17, 8))
    with pytest.raises(BackboneOutputError, match=r'\(B, N, 8\)'):
        GlobalCovariancePooling(8, 4, token_input=True)(
            torch.randn(2, 8, 4, 4))
    with pytest.raises(ValueError, match='single position'):
        GlobalCovariancePooling(8, 4, token_input=True)(
            torch.randn(2, 2, 8))
    with pytest.raises(ValueError, match='concat_cls_token'):
        GlobalCovariancePooling(8, 4, concat_cls_token=True)
