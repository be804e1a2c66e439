"""What a covariance-pooling neck can take from a backbone.

Covariance needs positions: a feature map (B, C, H, W) or a token sequence
(B, N, C). Several mmpretrain backbones pool by default (ConvNeXt before its
final norm, the vision transformers' class token), and their (B, C) vectors
would only fail at the neck's first forward pass, after the runner is
built. ``check_backbone_config`` tells that from the config alone,
``check_backbone_output`` from a dummy forward; both raise
``BackboneOutputError`` with the setting that fixes it.
"""
import inspect
from typing import Optional, Sequence, Union

from torch import Tensor

from gcp_mm.constructor_arguments import constructor_defaults
from gcp_mm.errors import InputError

__all__ = [
    'BackboneOutputError', 'check_backbone_config', 'check_backbone_output',
    'check_backbone_fits_neck', 'pooled_output_fix'
]


class BackboneOutputError(InputError):
    """The backbone's output is not what the neck pools."""


# options that make a backbone pool, with the value that keeps the map
_POOLING_OPTIONS = {
    'gap_before_final_norm': (True, 'set model.backbone.'
                              'gap_before_final_norm=False (e.g. ConvNeXt, '
                              'EdgeNeXt, HorNet pool before their final '
                              'norm by default)'),
}
_TOKEN_FIX = ("set model.backbone.out_type='featmap' (patch tokens as a "
              "(B, C, H, W) map) or out_type='raw' together with "
              'model.neck.token_input=True (tokens, e.g. to concatenate '
              'the class token as So-ViT does)')


def _backbone_class(backbone_type):
    if not isinstance(backbone_type, str):
        return backbone_type if inspect.isclass(backbone_type) else None
    try:
        import mmpretrain.models  # noqa: F401  registers the backbones
        from mmpretrain.registry import MODELS
    except ImportError:
        return None
    return MODELS.get(backbone_type.split('.')[-1])


def pooled_output_fix(backbone_type=None) -> str:
    """The setting that makes ``backbone_type`` keep its positions."""
    cls = _backbone_class(backbone_type)
    defaults = constructor_defaults(cls) if cls is not None else {}
    if 'out_type' in defaults:
        return _TOKEN_FIX
    for option, (_, fix) in _POOLING_OPTIONS.items():
        if option in defaults:
            return fix
    return ('make the backbone return its last feature map (B, C, H, W) '
            "(ConvNeXt: gap_before_final_norm=False; ViT / DeiT: "
            "out_type='featmap' or 'raw')")


def check_backbone_config(backbone_cfg: dict,
                          token_input: bool = False) -> None:
    """Raise ``BackboneOutputError`` if ``backbone_cfg`` (a config dict of
    an mmpretrain backbone) makes it emit something a covariance neck with
    ``token_input`` cannot pool. Unknown backbone types pass (the output
    check after a dummy forward covers them)."""
    backbone_type = backbone_cfg.get('type')
    cls = _backbone_class(backbone_type)
    if cls is None:
        return
    defaults = constructor_defaults(cls)
    name = getattr(cls, '__name__', backbone_type)
    for option, (pooled_value, fix) in _POOLING_OPTIONS.items():
        if option in defaults and \
                backbone_cfg.get(option, defaults[option]) == pooled_value:
            raise BackboneOutputError(
                f'{name} with {option}={pooled_value} outputs pooled (B, C) '
                f'vectors, of which no covariance can be taken: {fix}')
    if 'out_type' not in defaults:
        return
    out_type = backbone_cfg.get('out_type', defaults['out_type'])
    if out_type in ('cls_token', 'avg_featmap'):
        raise BackboneOutputError(
            f"{name} with out_type='{out_type}' outputs pooled (B, C) "
            f'vectors, of which no covariance can be taken: {_TOKEN_FIX}')
    if out_type == 'raw' and not token_input:
        raise BackboneOutputError(
            f"{name} with out_type='raw' outputs (B, N, C) tokens: set "
            "model.neck.token_input=True, or out_type='featmap'")
    if out_type == 'featmap' and token_input:
        raise BackboneOutputError(
            f"{name} with out_type='featmap' outputs (B, C, H, W) maps: "
            "set model.neck.token_input=False, or out_type='raw'")


def _extra_tokens(cls, backbone_cfg: dict, defaults: dict) -> Optional[int]:
    """The tokens before the patch tokens of a vision transformer (class,
    distillation), or None for other backbones."""
    extra = getattr(cls, 'num_extra_tokens', None)
    if not isinstance(extra, int):
        return None
    if not backbone_cfg.get('with_cls_token',
                            defaults.get('with_cls_token', True)):
        return 0
    return extra


def check_backbone_fits_neck(backbone_cfg: dict, neck_cfg: dict) -> None:
    """Raise ``BackboneOutputError`` when the backbone config gives the
    neck more than its last stage (``out_indices`` of several stages: the
    neck would pool each, with one ``in_channels``), or, for token input,
    when the neck's ``num_extra_tokens`` differs from the tokens the
    backbone puts before its patch tokens (a patch token would be dropped
    from the covariance, or a class token pooled as a patch)."""
    cls = _backbone_class(backbone_cfg.get('type'))
    if cls is None:
        return
    defaults = constructor_defaults(cls)
    name = getattr(cls, '__name__', backbone_cfg.get('type'))
    out_indices = backbone_cfg.get('out_indices', defaults.get('out_indices'))
    if isinstance(out_indices, (list, tuple)) and len(out_indices) > 1:
        raise BackboneOutputError(
            f'{name} with out_indices={tuple(out_indices)} outputs '
            f'{len(out_indices)} stages, but the neck pools only the last '
            f'stage: set model.backbone.out_indices=({out_indices[-1]},) '
            '(not in_channels)')
    if not neck_cfg.get('token_input', False):
        return
    extra = _extra_tokens(cls, backbone_cfg, defaults)
    given = neck_cfg.get('num_extra_tokens', 1)  # the neck's default
    if extra is not None and given != extra:
        what = {0: 'no class token', 1: 'a class token',
                2: 'a class and a distillation token'}.get(
                    extra, f'{extra} extra tokens')
        raise BackboneOutputError(
            f'model.neck.num_extra_tokens={given}, but {name} puts {what} '
            f'before its patch tokens: set model.neck.num_extra_tokens='
            f'{extra}')


def check_backbone_output(feats: Union[Tensor, Sequence[Tensor]],
                          in_channels: Optional[int] = None,
                          token_input: bool = False,
                          backbone_type=None) -> None:
    """Raise ``BackboneOutputError`` unless ``feats`` (a backbone's output:
    a tensor or a tuple of them, the neck pools each) is what the neck
    takes: (B, C, H, W) maps, or (B, N, C) tokens with ``token_input``,
    with C = ``in_channels`` when given."""
    for x in (feats if isinstance(feats, (tuple, list)) else (feats, )):
        shape = tuple(x.shape)
        if x.dim() == 2:
            raise BackboneOutputError(
                f'the backbone outputs pooled vectors of shape {shape}, of '
                'which no covariance can be taken: '
                + pooled_output_fix(backbone_type))
        if token_input and x.dim() != 3:
            raise BackboneOutputError(
                f'the neck has token_input=True and takes (B, N, C) tokens, '
                f'but the backbone outputs {shape}: set '
                'model.neck.token_input=False for feature maps')
        if not token_input and x.dim() == 3:
            raise BackboneOutputError(
                f'the backbone outputs (B, N, C) tokens {shape}: set '
                'model.neck.token_input=True, or make it output a '
                "(B, C, H, W) map (ViT / DeiT: out_type='featmap')")
        if not token_input and x.dim() != 4:
            raise BackboneOutputError(
                f'the neck takes (B, C, H, W) feature maps, but the '
                f'backbone outputs {shape}')
        channels = x.shape[-1] if token_input else x.shape[1]
        if in_channels is not None and channels != in_channels:
            raise BackboneOutputError(
                f'the backbone outputs {channels} channels {shape}, but '
                f'model.neck.in_channels={in_channels}: set '
                f'model.neck.in_channels={channels}')
