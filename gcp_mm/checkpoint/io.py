"""Reading ``torch.save`` checkpoints safely.

Two on-disk formats exist: the zip archive that ``torch.save`` writes since
PyTorch 1.6, and the legacy stream of pickles before it. The paper's
released weights were written by PyTorch 1.3/1.4, so they are legacy files
(docs/reference.md section 2). Both are read with tensors-only unpickling
(``weights_only=True``); see :func:`load_checkpoint_file` for the one
exception.
"""
import pickle
import pickletools
import zipfile

import torch
from torch import _weights_only_unpickler

from gcp_mm.errors import InputError
from gcp_mm.input_files import check_input_path

# A legacy file starts with the pickled magic number (protocol 2).
_LEGACY_HEADER = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)
_ZIP_HEADER = b'PK\x03\x04'

# What mmengine's training checkpoints pickle besides tensors (the message
# hub's HistoryBuffer of numpy arrays). They are zip files, never legacy.
_MMENGINE_CHECKPOINT_GLOBALS = frozenset({
    'mmengine.logging.history_buffer.HistoryBuffer', 'numpy.dtype',
    'numpy.ndarray', 'numpy._core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar', 'numpy.core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar', 'builtins.getattr'
})


# checkpoints that mmengine fetches itself (ImageNet GAP networks)
REMOTE_CHECKPOINTS = ('torchvision://', 'open-mmlab://', 'mmcls://',
                      'http://', 'https://')


# the fix for a folder named where a checkpoint file is needed
CHECKPOINT_IN_FOLDER = ('pass the .pth file inside it (e.g. epoch_N.pth, or '
                        'the one named in its last_checkpoint)')


class CheckpointError(InputError):
    """A checkpoint that cannot be read or does not fit the model. The
    message is one line that names the file and the fix."""


def checkpoint_format(path: str) -> str:
    """'zip' or 'legacy': the ``torch.save`` format of the file at ``path``.

    Raises:
        InputFileError: naming the file, if it is missing or a folder.
        CheckpointError: naming the file, if it is truncated or not a
            PyTorch checkpoint.
    """
    check_input_path(path, 'checkpoint file',
                     folder_fix=CHECKPOINT_IN_FOLDER)
    with open(path, 'rb') as f:
        head = f.read(len(_LEGACY_HEADER))
    if zipfile.is_zipfile(path):
        return 'zip'
    if head.startswith(_ZIP_HEADER):
        raise CheckpointError(
            f'cannot read checkpoint {path}: the zip archive is truncated or '
            'corrupt (it has no complete central directory)')
    if head == _LEGACY_HEADER:
        return 'legacy'
    raise CheckpointError(
        f'cannot read checkpoint {path}: the file is corrupt, truncated or '
        'not a PyTorch checkpoint (neither a zip archive nor a legacy '
        'torch.save file)')


def _unsafe_globals(path: str, fmt: str) -> set:
    """Pickled classes/functions in the file that tensors-only loading
    refuses."""
    if fmt == 'zip':
        return set(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    allowed = set(_weights_only_unpickler._get_allowed_globals()) | set(
        _weights_only_unpickler._get_user_allowed_globals())
    with open(path, 'rb') as f:
        for _ in range(3):  # magic number, protocol version, system info
            for _ in pickletools.genops(f):
                pass
        found = _weights_only_unpickler.get_globals_in_pkl(f)
    return set(found) - allowed


def load_checkpoint_file(path: str) -> dict:
    """``torch.load`` of a zip or legacy checkpoint onto the CPU, with
    errors that name the file.

    Tensors-only loading (``weights_only=True``) is used, except for zip
    checkpoints whose only other objects are those of mmengine's training
    checkpoints; those are loaded as mmengine itself loads them. Anything
    else that pickles other objects is refused, naming them.
    """
    fmt = checkpoint_format(path)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        try:
            extra = _unsafe_globals(path, fmt)
        except Exception:  # a damaged pickle stream: report the load error
            extra = set()
        if not extra:
            raise CheckpointError(
                f'cannot read checkpoint {path}: the file is corrupt or '
                f'truncated ({err})') from err
        if fmt == 'legacy' or not extra <= _MMENGINE_CHECKPOINT_GLOBALS:
            raise CheckpointError(
                f'cannot read checkpoint {path}: it pickles objects other '
                f'than tensors ({", ".join(sorted(extra))}); load it in a '
                'trusted environment and save its state_dict alone') from err
        return torch.load(path, map_location='cpu', weights_only=False)
    except Exception as err:  # torch raises many types for bad files
        raise CheckpointError(
            f'cannot read checkpoint {path}: the file is corrupt or '
            f'truncated ({type(err).__name__}: {err})') from err
