"""Which backbone outputs a covariance neck can pool, and the fix when it
cannot (gcp_mm/models/necks/inputs.py)."""
import pytest
import torch

from gcp_mm.models.necks import (
    BackboneOutputError,
    check_backbone_config,
    check_backbone_output,
)


@pytest.mark.parametrize('cfg,token_input,match', [
    (dict(type='ConvNeXt', arch='tiny'), False,
     'gap_before_final_norm=False'),
    (dict(type='VisionTransformer', arch='deit-small'), False,
     "out_type='featmap'"),
    (dict(type='VisionTransformer', out_type='avg_featmap'), False,
     "out_type='featmap'"),
    (dict(type='VisionTransformer', out_type='raw'), False,
     'token_input=True'),
    (dict(type='VisionTransformer', out_type='featmap'), True,
     'token_input=False'),
    (dict(type='mmpretrain.DistilledVisionTransformer'), False,
     "out_type='featmap'"),
])
def test_pooling_configs_are_refused_with_the_fix(cfg, token_input, match):
    with pytest.raises(BackboneOutputError, match=match):
        check_backbone_config(cfg, token_input)


@pytest.mark.parametrize('cfg,token_input', [
    (dict(type='ConvNeXt', arch='tiny', gap_before_final_norm=False), False),
    (dict(type='VisionTransformer', out_type='featmap'), False),
    (dict(type='VisionTransformer', out_type='raw'), True),
    (dict(type='SwinTransformer', arch='tiny'), False),
    (dict(type='ResNet', depth=50), False),
    (dict(type='NoSuchBackbone'), False),
])
def test_map_and_token_configs_pass(cfg, token_input):
    check_backbone_config(cfg, token_input)


def test_output_of_a_default_convnext_is_refused():
    from mmpretrain.models.backbones import ConvNeXt
    backbone = ConvNeXt(arch='atto')
    backbone.eval()  # OpenMMLab backbones' train() returns None
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, 32, 32))
    with pytest.raises(BackboneOutputError,
                       match=r'pooled vectors of shape \(1, 320\).*'
                       'gap_before_final_norm=False'):
        check_backbone_output(feats, 320, backbone_type='ConvNeXt')


def test_output_checks():
    check_backbone_output((torch.zeros(1, 8, 2, 2), ), 8)
    check_backbone_output(torch.zeros(1, 5, 8), 8, token_input=True)
    with pytest.raises(BackboneOutputError, match='in_channels=8'):
        check_backbone_output(torch.zeros(1, 6, 2, 2), 8)
    with pytest.raises(BackboneOutputError, match='token_input=True'):
        check_backbone_output(torch.zeros(1, 5, 8), 8)
    with pytest.raises(BackboneOutputError, match="out_type='featmap'"):
        check_backbone_output(torch.zeros(1, 8), 8,
                              backbone_type='VisionTransformer')
