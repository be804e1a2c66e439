"""The keyword arguments a class's constructor takes, its ``**kwargs``
followed to the base classes they are passed on to (as OpenMMLab modules
do: ``GCPResNet(variant, **kwargs)`` -> mmdet's ``ResNet``). The one
lookup that the ``--cfg-options`` key checks, the neck's backbone checks
and the docs' config tests share."""
import inspect
from typing import Any, Dict, List, Optional, Tuple

__all__ = ['constructor_arguments', 'constructor_defaults']


def _walk(cls: type) -> Tuple[Dict[str, inspect.Parameter], bool]:
    """The named parameters of ``cls.__init__`` and of the bases its
    ``**kwargs`` reach (the nearest class's parameter wins), and whether
    the walk ended at a class that takes no ``**kwargs`` (False: the
    ``**kwargs`` reach ``object`` or a constructor without a signature,
    so nothing says which names they take)."""
    found: Dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if klass is object:
            return found, False
        try:
            params = inspect.signature(klass.__init__).parameters
        except (TypeError, ValueError):  # a constructor written in C
            return found, False
        for name, param in params.items():
            if name != 'self' and param.kind not in (
                    param.VAR_KEYWORD, param.VAR_POSITIONAL):
                found.setdefault(name, param)
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return found, True
    return found, False


def constructor_arguments(cls: type) -> Optional[List[str]]:
    """The argument names ``cls(...)`` takes, in signature order (the
    class's own first), or None when its ``**kwargs`` go on to ``object``
    or to a constructor without a signature (any name may be taken)."""
    found, closed = _walk(cls)
    return list(found) if closed else None


def constructor_defaults(cls: type) -> Dict[str, Any]:
    """The default value of every argument of ``cls(...)`` that has one
    (those of the bases its ``**kwargs`` reach included; the nearest
    class's default wins)."""
    found, _ = _walk(cls)
    return {name: param.default for name, param in found.items()
            if param.default is not inspect.Parameter.empty}
