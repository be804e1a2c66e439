"""A tool's config: the file (``gcp_mm.config_file.read_config``) with
``--cfg-options`` checked against it and applied."""
import ast
import difflib
import inspect
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from mmengine.config import Config, DictAction

from gcp_mm.config_file import read_config
from gcp_mm.constructor_arguments import constructor_arguments
from gcp_mm.datasets.config_datasets import DATA_LOADERS, loader_dataset
from gcp_mm.datasets.image_files import read_every_image_format
from gcp_mm.engine.safety import CONFIG_KEYS as SAFETY_CONFIG_KEYS

from .errors import UsageError


def _value(node: ast.AST) -> Any:
    """A Python literal, allowing ``dict(k=v, ...)`` as configs write it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args:
        return {kw.arg: _value(kw.value) for kw in node.keywords}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_value(n) for n in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)


def _cannot_read(key: str, raw: str) -> UsageError:
    return UsageError(
        f'--cfg-options {key}: cannot read {raw!r} as a value; write lists '
        'as [1, 2] or 1,2 and configs as dict(type=...)')


def parse_cfg_option(text: str) -> tuple:
    """``'a.b=value'`` -> ('a.b', value), the value read as mmengine's
    ``DictAction`` reads it (the OpenMMLab convention): ``1,2`` and
    ``[1,2]`` are lists, ``(1,2)`` a tuple (nested too), numbers,
    True/False/None, anything else a string (``work_dir=runs/a``, quotes
    stripped). Two additions: configs written as configs write them,
    ``dict(type=...)`` or ``{...}`` (also inside lists), which DictAction
    cannot read, are read as Python literals; and a single value keeps its
    inner spaces (DictAction drops every space, even in a path)."""
    key, sep, raw = text.partition('=')
    if not sep or not key:
        raise UsageError(
            f'--cfg-options {text!r}: expected key=value, e.g. '
            'train_cfg.max_epochs=10')
    if 'dict(' in raw or raw.strip().startswith('{'):
        try:
            return key, _value(ast.parse(raw.strip(), mode='eval').body)
        except (SyntaxError, ValueError, TypeError):
            raise _cannot_read(key, raw) from None
    single = raw.strip().strip('\'"')
    if ',' not in single and not single.startswith(('(', '[')):
        return key, DictAction._parse_int_float_bool(single)
    try:
        return key, DictAction._parse_iterable(raw)
    except (AssertionError, RecursionError):  # unbalanced brackets
        raise _cannot_read(key, raw) from None


def parse_cfg_options(texts: Sequence[str]) -> Dict[str, Any]:
    """``KEY=VALUE`` strings as a dict (:func:`parse_cfg_option`); a key
    given twice keeps its last value."""
    return dict(parse_cfg_option(text) for text in texts)


class CfgOptionsAction(DictAction):
    """``--cfg-options KEY=VALUE ...`` as an argparse action: mmengine's
    ``DictAction`` (repeated options add up) with the values of
    :func:`parse_cfg_option`. The keys are checked against the config
    afterwards, by :func:`load_config`."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        options.update(parse_cfg_options(values or ()))
        setattr(namespace, self.dest, options)


def _runner_arguments() -> set:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) - {'self'}


def _check_option_key(cfg: Config, key: str) -> None:
    """Every part of ``key`` but the last must exist in the config; the
    last may be new only below the top level (a module argument left at
    its default), or be a Runner argument."""
    parts = key.split('.')
    node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        if isinstance(node, dict) and last and depth > 0:
            _check_new_argument(cfg, key, node, part)
            return
        if isinstance(node, dict) and last and part in _runner_arguments():
            return
        if depth == 0 and last and part in SAFETY_CONFIG_KEYS:
            return  # tools/train.py gives every config these
        where = '.'.join(parts[:depth]) or 'the config'
        known = list(node) if isinstance(node, dict) else []
        close = difflib.get_close_matches(part, known, n=1)
        hint = f'; did you mean {".".join(parts[:depth] + close)}?' \
            if close else ''
        raise UsageError(
            f'--cfg-options {key}: {where} has no key {part!r}{hint}')


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return 'dict'
    if isinstance(value, (list, tuple)):
        return 'list'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    return type(value).__name__


def _literal(value: Any) -> str:
    """``value`` as a config writes it: ``dict(k=v)``, lists, literals."""
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{k}={_literal(v)}'
                                   for k, v in value.items()) + ')'
    if isinstance(value, (list, tuple)):
        inner = ', '.join(_literal(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    return repr(value)


# top-level keys that mmengine takes as one config or a list of them
_LIST_OR_DICT = ('param_scheduler', 'val_evaluator', 'test_evaluator')


def _check_option_type(cfg: Config, key: str, value: Any) -> None:
    """A value that replaces one of the config must be of its kind (a
    dict for a dict, a list for a list, a number for a number): mmengine
    would fail deep inside (a dict merged into a list) or later."""
    node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for part in key.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return  # a new key: checked by _check_option_key
    old, new = _kind(node), _kind(value)
    if node is None or value is None or old == new or \
            (old, new) in (('bool', 'number'), ('number', 'bool')):
        return
    if (old, new) == ('dict', 'list') and key in _LIST_OR_DICT:
        return
    if old not in ('dict', 'list', 'number', 'bool'):
        return
    example = _literal(node.to_dict() if hasattr(node, 'to_dict') else
                       list(node) if isinstance(node, (list, tuple))
                       else node)
    if len(example) > 90:
        example = example[:86] + ' ...'
    if old in ('dict', 'list'):
        example = f'"{example}"'
    raise UsageError(
        f'--cfg-options {key}: the config holds a {old} there, not a '
        f'{new}; give a {old}, e.g. {key}={example}')


# where a config's ``type`` names are registered
_REGISTRIES = ('MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'OPTIM_WRAPPERS',
               'OPTIMIZERS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
               'VISUALIZERS', 'VISBACKENDS', 'DATA_SAMPLERS', 'LOOPS')


def _registered_class(cfg: Config, name: str):
    """The class a ``type`` name means in the config's scope, or None."""
    from mmengine import registry
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        for registry_name in _REGISTRIES:
            try:
                found = getattr(registry, registry_name).get(name)
            except Exception:  # a scope whose package is not installed
                found = None
            if inspect.isclass(found):
                return found
    return None


def _check_new_argument(cfg: Config, key: str, node: dict, part: str):
    """A key new to a module's config must be an argument of its class
    (when the ``type`` is known; ``**kwargs`` are followed to the base
    class they go to)."""
    if not isinstance(node.get('type'), str):
        return
    cls = _registered_class(cfg, node['type'])
    if cls is None:
        return
    names = constructor_arguments(cls)
    if names is None:
        return  # **kwargs reach object: nothing says which names are taken
    if part not in names:
        close = difflib.get_close_matches(part, names, n=1)
        prefix = key[:-len(part)]
        hint = f'; did you mean {prefix}{close[0]}?' if close else ''
        raise UsageError(
            f'--cfg-options {key}: {node["type"]} takes no argument '
            f'{part!r}{hint}')


def load_config(config: str,
                cfg_options: Union[Mapping[str, Any], Sequence[str],
                                   None] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """The config file with ``--cfg-options`` applied, the launcher and
    the work dir set (default ``work_dirs/<config name>``). The options are
    what :class:`CfgOptionsAction` parsed (a dict) or ``key=value``
    strings; every key and value is checked against the config first."""
    cfg = read_config(config)
    options: Dict[str, Any] = dict(cfg_options) if isinstance(
        cfg_options, Mapping) else parse_cfg_options(cfg_options or ())
    for key, value in options.items():
        _check_option_key(cfg, key)
        _check_option_type(cfg, key, value)
    if options:
        cfg.merge_from_dict(options)
    for loader in DATA_LOADERS:
        read_every_image_format(loader_dataset(cfg, loader))
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg

