"""The constructor-argument lookup (gcp_mm.constructor_arguments) that the
--cfg-options key checks and the neck's backbone checks share."""
from gcp_mm.constructor_arguments import (
    constructor_arguments,
    constructor_defaults,
)


class _Base:

    def __init__(self, depth=50, init_cfg=None):
        pass


class _Middle(_Base):

    def __init__(self, width=8, depth=18, **kwargs):
        super().__init__(depth=depth, **kwargs)


class _Leaf(_Middle):

    def __init__(self, *args, variant='M', **kwargs):
        super().__init__(*args, **kwargs)


class _Closed(_Base):
    """No **kwargs: the base's arguments are not taken."""

    def __init__(self, only=1):
        super().__init__()


class _Open:
    """**kwargs that go on to object: any name may be taken."""

    def __init__(self, size=2, **kwargs):
        pass


def test_kwargs_are_followed_to_the_bases_they_reach():
    assert constructor_arguments(_Leaf) == ['variant', 'width', 'depth',
                                            'init_cfg']
    # the nearest class's default wins (_Middle's depth, not _Base's)
    assert constructor_defaults(_Leaf) == dict(variant='M', width=8,
                                               depth=18, init_cfg=None)


def test_a_constructor_without_kwargs_ends_the_walk():
    assert constructor_arguments(_Closed) == ['only']
    assert constructor_defaults(_Closed) == dict(only=1)


def test_kwargs_that_reach_object_say_nothing():
    assert constructor_arguments(_Open) is None
    assert constructor_defaults(_Open) == dict(size=2)


def test_registered_classes():
    from mmengine.registry import MODELS
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS

    import gcp_mm  # noqa: F401  registers GCPResNet

    names = constructor_arguments(MODELS.get('GCPResNet'))
    # GCPResNet(variant, **kwargs) -> mmdet's ResNet
    assert names[0] == 'variant' and 'frozen_stages' in names
    assert 'frozen_stage' not in names
    # DistilledVisionTransformer(*args, **kwargs) -> VisionTransformer
    deit = PRETRAIN_MODELS.get('DistilledVisionTransformer')
    assert constructor_defaults(deit)['out_type'] == 'cls_token'
