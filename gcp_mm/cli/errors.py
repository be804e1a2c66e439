"""One clear line for the mistakes users make, as the tools report them."""
import contextlib
import functools
import importlib.abc
import io
import sys
import traceback
from typing import Callable

from gcp_mm.errors import InputError


class UsageError(InputError):
    """A mistake in a tool's arguments or config (a wrong path, key or
    value), found by the command-line layer's checks."""


def one_line(err: BaseException) -> str:
    """The message of ``err`` as one line: its ``line`` where it keeps one
    (a ``BadImageError`` re-raised by a DataLoader worker carries the
    worker's traceback in its message), else the message's first line."""
    if getattr(err, 'line', None):
        return err.line
    return str(err).strip().splitlines()[0] if str(err).strip() else \
        type(err).__name__


# modules that print at import time: mmpretrain's and mmdet's data sets
# print_log a DEBUG 'Could not import OneDL' with no logger, which mmengine
# prints to stdout whatever the level
NOISY_MODULES = ('mmpretrain.datasets', 'mmdet.datasets',
                 'mmdet.datasets.transforms')


class _QuietLoader(importlib.abc.Loader):
    """A module's loader, run with stdout dropped."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with contextlib.redirect_stdout(io.StringIO()):
            self.loader.exec_module(module)

    def __getattr__(self, name):  # resource readers, get_data, ...
        return getattr(self.loader, name)


class _QuietImports(importlib.abc.MetaPathFinder):
    """Imports :data:`NOISY_MODULES` with their stdout dropped, when they
    are imported (importing them up front would cost mmdet's 1.4 s on
    every tool run)."""

    def find_spec(self, name, path, target=None):
        if name not in NOISY_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def import_quietly() -> None:
    """From now on, import :data:`NOISY_MODULES` with their stdout
    dropped, so that a tool's first line is its own."""
    if not any(isinstance(f, _QuietImports) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImports())


def exit_on_usage_error(main: Callable) -> Callable:
    """Wrap a tool's ``main(argv)``: an ``InputError`` (a ``UsageError`` of
    the tools' checks, or the plugin core's own kinds: a missing file
    (``InputFileError``), checkpoints, data, robustness inputs; printed as
    they are, not re-wrapped) ends the process with one ``error:`` line and
    status 2 (its traceback too when the arguments hold ``--debug``, see
    :func:`add_debug_argument`); other exceptions propagate with their
    traceback."""

    @functools.wraps(main)
    def wrapper(argv=None):
        args = sys.argv[1:] if argv is None else list(argv)
        debug = '--debug' in args
        import_quietly()
        try:
            return main(args)
        except InputError as err:
            if debug:
                traceback.print_exc()
            print(f'error: {one_line(err)}', file=sys.stderr)
            sys.exit(2)

    return wrapper


def add_debug_argument(parser) -> None:
    parser.add_argument(
        '--debug', action='store_true',
        help='show the Python traceback of configuration and input errors '
        'too (they are reported in one line otherwise)')


def add_runner_arguments(parser, example: str, scripts: str) -> None:
    """``--cfg-options``, ``--launcher``, ``--local-rank`` and ``--debug``,
    shared by tools/train.py and tools/test.py. ``example`` is a
    ``key=value`` shown in the help; ``scripts`` names the launch scripts
    that set ``--launcher``."""
    import argparse

    from .config import CfgOptionsAction
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE',
        action=CfgOptionsAction,
        help=f'override config entries, e.g. {example}; a key the config '
        'does not have is an error')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help=f'job launcher (set by {scripts})')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0,
                        help=argparse.SUPPRESS)
    add_debug_argument(parser)
