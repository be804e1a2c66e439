"""Test-time augmentation for ``tools/test.py --tta``, as mmpretrain's own
``tools/test.py --tta`` sets it up."""
import copy

from mmengine.config import Config

from .errors import UsageError


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
    if 'tta_pipeline' in cfg:
        follow_test_pipeline(cfg)
    else:
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


def follow_test_pipeline(cfg: Config) -> None:
    """The config's ``tta_pipeline`` reads images as the test pipeline
    does now: the steps before its ``TestTimeAug`` become the test
    pipeline's steps before its last (packing) one. A size given for the
    test pipeline (``--cfg-options``) then holds for the augmented views
    too, where the config's own ``tta_pipeline`` would keep its size."""
    tta = cfg.tta_pipeline
    views = [i for i, step in enumerate(tta)
             if str(step.get('type')).split('.')[-1] == 'TestTimeAug']
    if len(views) != 1:
        raise UsageError(
            f'--tta: the tta_pipeline of {cfg.filename} has '
            f'{len(views)} TestTimeAug steps; it needs one, after the '
            'loading and resizing steps')
    test = cfg.test_dataloader.dataset.pipeline
    cfg.tta_pipeline = copy.deepcopy(test[:-1]) + tta[views[0]:]
