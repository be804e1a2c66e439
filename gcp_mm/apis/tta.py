"""Test-time augmentation for ``tools/test.py --tta``, as mmpretrain's own
``tools/test.py --tta`` sets it up."""
import copy

from mmengine.config import Config

from .cli import UsageError


def apply_tta(cfg: Config) -> None:
    """Evaluate ``cfg`` with test-time augmentation: the model is wrapped in
    ``cfg.tta_model`` and the test set read with ``cfg.tta_pipeline``.

    The fine-grained configs define both (centre crop + mirror, scores
    averaged). For other classification configs the defaults are
    mmpretrain's: ``AverageClsScoreTTA`` over the test pipeline's image and
    its horizontal mirror.
    """
    if 'module' in (cfg.get('model') or {}):
        raise UsageError('--tta: the config already wraps its model for '
                         'test-time augmentation')
    classification = cfg.get('default_scope') == 'mmpretrain'
    if not classification and not ('tta_model' in cfg
                                   and 'tta_pipeline' in cfg):
        raise UsageError(
            f'--tta: {cfg.filename} defines no tta_model and tta_pipeline '
            '(the defaults exist for mmpretrain classification configs '
            'only)')
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
    if 'tta_pipeline' not in cfg:
        test_pipeline = cfg.test_dataloader.dataset.pipeline
        cfg.tta_pipeline = copy.deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[
                dict(type='RandomFlip', prob=0.),
                dict(type='RandomFlip', prob=1., direction='horizontal'),
            ], [test_pipeline[-1]]])
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
