"""Whether a file or folder that a user named is there: the one check
behind every "not found" of gcp-mm (configs, checkpoints, the paper's
released weights, data files and folders), so that each is answered by
one :class:`~gcp_mm.errors.InputFileError` line with the path and the
fix, before anything is built."""
import os.path as osp
from typing import Optional

from gcp_mm.errors import InputFileError

KINDS = ('file', 'folder', 'any')


def check_input_path(path: Optional[str], what: str, fix: str = '', *,
                     key: str = '', kind: str = 'file',
                     folder_fix: str = 'name the file inside it') -> str:
    """``path`` if it exists as ``kind`` (``'file'``, ``'folder'`` or
    ``'any'``), else :class:`~gcp_mm.errors.InputFileError` with one of

    * ``'[key: ]<what> not found: <path>[; <fix>]'``,
    * ``'[key: ]<path> is a directory, not a(n) <what>; <folder_fix>'``,
    * ``'[key: ]<path> is a file, not a(n) <what>[; <fix>]'``.

    ``what`` names the thing in the user's words (``'checkpoint file'``,
    ``'config file'``, ``'data_prefix'``), ``key`` the option or config
    key that gave the path (``'--resume'``, ``'train_dataloader'``)."""
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, not {kind!r}')
    lead = f'{key}: ' if key else ''
    tail = f'; {fix}' if fix else ''
    a_what = ('an ' if what[:1].lower() in 'aeiou' else 'a ') + what
    if not path or not osp.exists(path):
        raise InputFileError(f'{lead}{what} not found: {path}{tail}')
    if kind == 'file' and osp.isdir(path):
        raise InputFileError(
            f'{lead}{path} is a directory, not {a_what}; {folder_fix}')
    if kind == 'folder' and not osp.isdir(path):
        raise InputFileError(f'{lead}{path} is a file, not {a_what}{tail}')
    return path
