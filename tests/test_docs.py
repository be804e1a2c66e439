"""The README's and docs' code names only what exists: every
``dict(type='Name', key=...)`` and ``Name(key=...)`` of a ```python block or
of inline code is a registered class (or a gcp_mm function) taking ``key``,
every ``gcp_mm`` import or attribute a block uses exists, and an inline
argument list such as ``token_input=True, concat_cls_token=True`` is taken by
one class the page names."""
import ast
import importlib
import inspect
import re
from functools import lru_cache
from pathlib import Path

import pytest

from gcp_mm.constructor_arguments import constructor_arguments

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
# config keys of mmengine's own, not constructor arguments
CONFIG_KEYS = {'type', '_delete_', '_scope_'}
# lowercase words only: FORCE_CUDA=1 and the like are environment variables
KWARG = re.compile(r'[a-z_][a-z0-9_]*\s*=')


def python_blocks(text):
    return re.findall(r'^```python\n(.*?)^```', text, re.S | re.M)


def inline_code(text):
    prose = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    return re.findall(r'`([^`\n]+)`', prose)


@lru_cache(maxsize=None)
def registered():
    """Every name of the OpenMMLab registries gcp-mm plugs into -> the
    classes (or functions) registered under it."""
    from mmdet.utils import register_all_modules as register_mmdet
    from mmengine.registry import Registry
    from mmpretrain.utils import register_all_modules as register_mmpretrain

    import gcp_mm  # noqa: F401
    register_mmpretrain(init_default_scope=False)
    register_mmdet(init_default_scope=False)
    objects = {}
    for module in ('mmengine.registry', 'mmpretrain.registry',
                   'mmdet.registry'):
        for registry in vars(importlib.import_module(module)).values():
            if isinstance(registry, Registry):
                for name, obj in registry.module_dict.items():
                    objects.setdefault(name, []).append(obj)
    return objects


def gcp_mm_functions():
    ops = importlib.import_module('gcp_mm.ops')
    return {name: [getattr(ops, name)] for name in ops.__all__}


def resolve(name):
    """The classes / functions ``name`` may stand for (a registry scope
    such as ``mmpretrain.`` dropped), [] for none."""
    name = name.split('.')[-1]
    return registered().get(name, []) + gcp_mm_functions().get(name, [])


def _arguments(obj):
    """The keyword arguments ``obj`` (a class or a function) takes; None
    when a ``**kwargs`` that nothing names lets anything through."""
    if inspect.isclass(obj):
        names = constructor_arguments(obj)
        return None if names is None else set(names)
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def takes(obj, keys):
    arguments = _arguments(obj)
    return arguments is None or set(keys) <= arguments


def calls(tree):
    """(name, keyword names, line, is a config dict) of every
    ``dict(type='Name', ...)`` and ``Name(...)`` call in ``tree``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        keys = {kw.arg for kw in node.keywords if kw.arg is not None}
        if isinstance(node.func, ast.Name) and node.func.id == 'dict':
            types = [kw.value for kw in node.keywords if kw.arg == 'type']
            if types and isinstance(types[0], ast.Constant) and \
                    isinstance(types[0].value, str):
                yield types[0].value, keys - CONFIG_KEYS, node.lineno, True
        elif isinstance(node.func, ast.Name):
            yield node.func.id, keys, node.lineno, False


def wrong_calls(tree, where):
    """The config dicts of ``tree`` whose type is not registered, and the
    calls whose class or gcp_mm function does not take their keywords
    (other calls, such as ``print``, are not looked at)."""
    for name, keys, line, config in calls(tree):
        candidates = resolve(name)
        if not candidates:
            if config:
                yield f'{where}:{line}: {name} is not a registered type'
            continue
        if keys and not any(takes(obj, keys) for obj in candidates):
            missing = sorted(keys - set().union(*(
                _arguments(obj) or set() for obj in candidates)))
            yield f'{where}:{line}: {name} takes no {", ".join(missing)}'


def missing_gcp_mm_names(tree, where):
    """``from gcp_mm... import name`` and ``gcp_mm.module.name`` that do
    not exist."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split('.')[0] == 'gcp_mm':
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    yield f'{where}: {node.module} has no {alias.name}'
        elif isinstance(node, ast.Attribute):
            dotted = ast.unparse(node)
            if dotted.startswith('gcp_mm.') and \
                    re.fullmatch(r'[\w.]+', dotted):
                yield from _missing_attribute(dotted, where)


def _missing_attribute(dotted, where):
    parts = dotted.split('.')
    obj = importlib.import_module('gcp_mm')
    for depth, part in enumerate(parts[1:], start=2):
        if not hasattr(obj, part):
            try:
                obj = importlib.import_module('.'.join(parts[:depth]))
                continue
            except ImportError:
                yield f'{where}: {".".join(parts[:depth])} does not exist'
                return
        obj = getattr(obj, part)


def named_on_page(text):
    """The registered classes and gcp_mm functions a page names."""
    names = set()
    for block in python_blocks(text):
        names.update(call[0] for call in calls(ast.parse(block)))
    for span in inline_code(text):
        names.update(re.findall(r'[A-Za-z_][\w.]*', span))
    return [obj for name in names for obj in resolve(name)]


def wrong_argument_lists(text, where):
    """Inline ``key=value, ...`` spans: where one of the keys is an
    argument of a class the page names, one such class must take them
    all (a wrong name beside a right one is a typo in the docs)."""
    objects = named_on_page(text)
    for span in inline_code(text):
        if not KWARG.match(span):
            continue
        try:
            call = ast.parse(f'f({span})', mode='eval').body
        except SyntaxError:
            continue
        keys = {kw.arg for kw in call.keywords if kw.arg is not None}
        if len(keys) < 2 or call.args:
            continue
        anchored = [obj for obj in objects
                    if keys & (_arguments(obj) or set())]
        if anchored and not any(takes(obj, keys) for obj in anchored):
            names = sorted({obj.__name__ for obj in anchored})
            yield (f'{where}: `{span}`: no class the page names takes all '
                   f'of {sorted(keys)} (candidates: {", ".join(names)})')


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_code_blocks_name_existing_arguments(page):
    text = page.read_text()
    problems = []
    for number, block in enumerate(python_blocks(text), start=1):
        where = f'{page.name} python block {number}'
        try:
            tree = ast.parse(block)
        except SyntaxError as err:
            problems.append(f'{where} does not parse: {err}')
            continue
        problems += wrong_calls(tree, where)
        problems += missing_gcp_mm_names(tree, where)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_inline_code_names_existing_arguments(page):
    text = page.read_text()
    problems = []
    for span in inline_code(text):
        where = f'{page.name} `{span}`'
        for dotted in re.findall(r'\bgcp_mm(?:\.\w+)+', span):
            problems += _missing_attribute(dotted, where)
        for path in re.findall(r'\bgcp_mm/[\w/]+\.py\b', span):
            if not (ROOT / path).is_file():
                problems.append(f'{where}: no file {path}')
        if not re.match(r'(dict|[A-Z]\w*)\(', span):
            continue
        try:
            tree = ast.parse(span)
        except SyntaxError:
            continue  # prose such as `corrupt(image, severity=1..5)`
        problems += wrong_calls(tree, where)
    problems += wrong_argument_lists(text, page.name)
    assert not problems, '\n'.join(problems)


def test_the_checks_catch_a_wrong_argument():
    """The checks above fail on the mistakes they are for."""
    page = ("```python\nneck = dict(type='GlobalCovariancePooling', "
            "in_channels=8, cls_token='concat')\nfrom gcp_mm.ops import "
            "covariance_pool\n```\nthe neck option `token_input=True, "
            "cls_token='concat'` of `GlobalCovariancePooling`\n")
    tree = ast.parse(python_blocks(page)[0])
    assert [p.split(': ', 1)[1] for p in wrong_calls(tree, 'x')] == \
        ['GlobalCovariancePooling takes no cls_token']
    assert list(missing_gcp_mm_names(tree, 'x')) == \
        ['x: gcp_mm.ops has no covariance_pool']
    assert len(list(wrong_argument_lists(page, 'x'))) == 1
