"""What every training run of the tools gets unless its config says
otherwise: the one place that decides it (``tools/train.py`` and the
launch scripts call :func:`apply_training_safety`; configs do not restate
it).

Switchable in a config (both on by default)::

    training_safety = dict(nan_guard=False)          # no NaN guard
    training_safety = dict(safe_image_loading=False)  # mmcv's plain loader

Always on: atomic checkpoints (``SafeCheckpointHook``), exact resume of
epoch-based runs (``ExactResumeEpochBasedTrainLoop``) and the pause on
SIGTERM/SIGINT (``PreemptionHook``).
"""
from .errors import SafetyConfigError

SWITCHES = dict(nan_guard=True, safe_image_loading=True)
# top-level keys the tools accept in --cfg-options whether or not the
# config sets them
CONFIG_KEYS = ('training_safety', 'on_bad_image')
# the NaN guard's version of mmengine's optimizer wrappers
GUARDED_WRAPPERS = {
    None: 'FiniteCheckOptimWrapper',
    'OptimWrapper': 'FiniteCheckOptimWrapper',
    'AmpOptimWrapper': 'GuardedAmpOptimWrapper',
}


def _name(type_) -> str:
    """A registry type's last name ('mmpretrain.X' and classes too)."""
    name = getattr(type_, '__name__', type_)
    return None if name is None else str(name).split('.')[-1]


def safety_switches(cfg) -> dict:
    chosen = dict(cfg.get('training_safety') or {})
    unknown = sorted(set(chosen) - set(SWITCHES))
    if unknown:
        raise SafetyConfigError(
            f'training_safety: unknown switch {unknown[0]!r}; the switches '
            f'are {", ".join(SWITCHES)} (True or False)')
    return {**SWITCHES, **chosen}


def apply_training_safety(cfg) -> None:
    """Give ``cfg`` (an mmengine Config, changed in place) the training
    safeguards, whatever its ``custom_hooks``, ``optim_wrapper``,
    checkpoint hook and train loop say, unless ``training_safety`` turns
    one off: the NaN guard (``FiniteCheckOptimWrapper`` for mmengine's
    ``OptimWrapper``, ``GuardedAmpOptimWrapper`` for its
    ``AmpOptimWrapper``, and ``FiniteStateHook``), safe image loading
    (``BadImageHook``, ``on_bad_image='stop'`` unless set), atomic
    checkpoints, exact resume and the pause on preemption."""
    switches = safety_switches(cfg)
    hooks = list(cfg.get('custom_hooks') or [])
    have = {_name(hook.get('type')) for hook in hooks}

    def add(hook: str, first: bool = False) -> None:
        if hook in have:
            return
        hooks.insert(0 if first else len(hooks), dict(type=hook))

    if switches['safe_image_loading']:
        add('BadImageHook', first=True)
        if cfg.get('on_bad_image') is None:
            cfg.on_bad_image = 'stop'
    if switches['nan_guard']:
        add('FiniteStateHook')
        wrapper = cfg.get('optim_wrapper')
        if wrapper is not None and not wrapper.get('use_fsdp'):
            guarded = GUARDED_WRAPPERS.get(_name(wrapper.get('type')))
            if guarded is not None:
                wrapper.type = guarded
    add('PreemptionHook')
    cfg.custom_hooks = hooks

    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint is not None and _name(checkpoint.get('type')) in (
            None, 'CheckpointHook'):
        checkpoint['type'] = 'SafeCheckpointHook'

    loop = cfg.get('train_cfg')
    if loop is not None and (
            _name(loop.get('type')) == 'EpochBasedTrainLoop' or
            ('type' not in loop and loop.get('by_epoch'))):
        loop.pop('by_epoch', None)
        loop['type'] = 'ExactResumeEpochBasedTrainLoop'


def apply_safe_evaluation(cfg) -> None:
    """For ``tools/test.py``: a bad image stops the evaluation with one
    line (``BadImageHook``; evaluation never skips images), unless
    ``training_safety`` turns safe image loading off."""
    if not safety_switches(cfg)['safe_image_loading']:
        return
    hooks = list(cfg.get('custom_hooks') or [])
    if 'BadImageHook' not in {_name(hook.get('type')) for hook in hooks}:
        hooks.insert(0, dict(type='BadImageHook'))
    cfg.custom_hooks = hooks
