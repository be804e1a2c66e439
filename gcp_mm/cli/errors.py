"""One clear line for the mistakes users make, as the tools report them."""
import contextlib
import functools
import importlib
import importlib.util
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
_NOISY_MODULES = {'mmpretrain': ('mmpretrain.datasets', ),
                  'mmdet': ('mmdet.datasets', 'mmdet.datasets.transforms')}


def import_quietly() -> None:
    """Import the modules of :data:`_NOISY_MODULES` (of the packages
    installed) with their stdout dropped, so that a tool's first line is
    its own."""
    for package, modules in _NOISY_MODULES.items():
        if package in sys.modules and modules[0] in sys.modules:
            continue
        if importlib.util.find_spec(package) is None:
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            for name in modules:
                try:
                    importlib.import_module(name)
                except ImportError:
                    break


def exit_on_usage_error(main: Callable) -> Callable:
    """Wrap a tool's ``main(argv)``: an ``InputError`` (a ``UsageError`` of
    the tools' checks, or the plugin core's own kinds: checkpoints, data,
    robustness inputs) ends the process with one ``error:`` line and
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
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE',
        help=f'override config entries, e.g. {example}; a key the config '
        'does not have is an error')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help=f'job launcher (set by {scripts})')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0,
                        help=argparse.SUPPRESS)
    add_debug_argument(parser)
