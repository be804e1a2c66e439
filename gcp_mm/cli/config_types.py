"""Every ``type`` of a config names a registered class, and the runner's
own numbers are numbers: checked before anything is built, so that a
misspelt name or a wrong value is one line with its key path, not a
traceback from deep inside the build after the work dir is written."""
import difflib
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.config import Config

from gcp_mm.datasets.config_datasets import DATA_LOADERS

from .errors import UsageError


def _typed_dicts(node: Any, path: str = '', scope: Optional[str] = None
                 ) -> Iterator[Tuple[str, str, Optional[str]]]:
    """(key path, type, scope) of every dict with a ``type`` name below
    ``node``; the scope is the dict's own ``_scope_`` (where mmengine
    builds it), else its parent's, else None."""
    if isinstance(node, dict):
        scope = node.get('_scope_') or scope
        if isinstance(node.get('type'), str):
            yield path, node['type'], scope
        for key, value in node.items():
            yield from _typed_dicts(value, f'{path}.{key}' if path else key,
                                    scope)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _typed_dicts(value, f'{path}.{index}', scope)


def _registries(scope: Optional[str]) -> List:
    """Every registry of mmengine (gcp-mm registers there) and of the
    config's scope; another package's are not imported, which would be
    slow and noisy (mmdet's warn about optional packages)."""
    import importlib

    from mmengine.registry import Registry
    modules = [importlib.import_module('mmengine.registry')]
    for package in [scope] if scope and scope != 'mmengine' else []:
        try:
            modules.append(importlib.import_module(f'{package}.registry'))
        except ImportError:
            continue
    found = []
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Registry) and value not in found:
                found.append(value)
    return found


def _is_mmcv_op(name: str) -> bool:
    """mmdet looks some types up in ``mmcv.ops`` by name, not in a
    registry (``roi_layer=dict(type='RoIAlign')``, ``nms=dict(type='nms')``).
    """
    try:
        import mmcv.ops
    except ImportError:
        return False
    return hasattr(mmcv.ops, name)


def _is_registered(registries: List, name: str) -> bool:
    for registry in registries:
        try:
            if registry.get(name) is not None:
                return True
        except Exception:  # noqa: BLE001  a registry whose imports fail
            continue
    return _is_mmcv_op(name)


def _all_names(registries: List) -> List[str]:
    names = set()
    stack = list(registries)
    while stack:
        registry = stack.pop()
        names.update(registry.module_dict)
        stack.extend(registry.children.values())
    return sorted(names)


def check_config_types(cfg: Config) -> None:
    """Raise ``UsageError`` for the first ``type`` (model, losses,
    optimizer, schedulers, data sets, transforms, samplers, hooks,
    evaluators, visualizer, ...) that no registry of the config's scope
    (nor mmengine's) knows, with its key path and a did-you-mean."""
    from mmengine.registry import DefaultScope
    default = cfg.get('default_scope')
    typed = list(_typed_dicts(cfg._cfg_dict))
    if not typed:
        return
    with DefaultScope.overwrite_default_scope(default):
        registries = _registries(default)
        for path, name, scope in typed:
            lookup = name if '.' in name or not scope or scope == default \
                else f'{scope}.{name}'
            if _is_registered(registries, lookup):
                continue
            close = difflib.get_close_matches(
                name.split('.')[-1], _all_names(registries), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ''
            raise UsageError(
                f'{path}.type: {name!r} is not registered in '
                f'{scope or default or "mmengine"} (nor in mmengine){hint}')


# the runner's own numbers: (key path, smallest allowed value)
def _runner_numbers(cfg: Config) -> Iterator[Tuple[str, Any, int]]:
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_epochs', 'max_iters', 'val_interval', 'val_begin'):
        if key in train_cfg:
            yield f'train_cfg.{key}', train_cfg[key], 1
    for loader in DATA_LOADERS:
        loader_cfg = cfg.get(loader) or {}
        if 'batch_size' in loader_cfg:
            yield f'{loader}.batch_size', loader_cfg['batch_size'], 1
        if 'num_workers' in loader_cfg:
            yield f'{loader}.num_workers', loader_cfg['num_workers'], 0
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if isinstance(hook, dict) and 'interval' in hook:
            # CheckpointHook(interval=-1) saves no periodic checkpoint
            low = -1 if name == 'checkpoint' else 1
            yield f'default_hooks.{name}.interval', hook['interval'], low


def check_runner_values(cfg: Config) -> None:
    """Epochs, intervals, batch sizes and worker counts are whole numbers
    in range; ``on_bad_image`` (top level, BadImageHook) is 'stop' or
    'skip'."""
    for key, value, low in _runner_numbers(cfg):
        if isinstance(value, bool) or not isinstance(value, int) or \
                value < low or (low == -1 and value == 0):
            at_least = 'a positive whole number (or -1: none)' \
                if low == -1 else f'a whole number of at least {low}'
            raise UsageError(
                f'{key}={value!r}: it must be {at_least}, e.g. '
                f'--cfg-options {key}={max(low, 1) if low else 2}')
    hooks = cfg.get('custom_hooks') or []
    modes = [('on_bad_image', cfg.get('on_bad_image'))] + [
        (f'custom_hooks.{i}.on_bad_image', hook.get('on_bad_image'))
        for i, hook in enumerate(hooks) if isinstance(hook, dict)]
    for key, mode in modes:
        if mode is not None and mode not in ('stop', 'skip'):
            close = difflib.get_close_matches(str(mode), ['stop', 'skip'],
                                              n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ''
            raise UsageError(
                f"{key}={mode!r}: it must be 'stop' or 'skip'{hint}, e.g. "
                f'--cfg-options {key}=skip')
