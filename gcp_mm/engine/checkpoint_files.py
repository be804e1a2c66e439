"""Checkpoint files that are never torn: each one is written to a temporary
file in its folder, flushed to the disk and renamed, so that a crash or a
full disk leaves the earlier files (and ``last_checkpoint``) as they were.
Also where ``last_checkpoint`` points, when the work dir has moved."""
import errno
import logging
import os
import os.path as osp
import shutil
from typing import Optional, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

from .errors import CheckpointSpaceError

# a write that fails for want of room: a full disk, a quota, a file size
# limit (FAT32's 4 GiB, ulimit -f)
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
BACKEND = 'gcp_atomic_local'
LAST_CHECKPOINT = 'last_checkpoint'


def _size(count: int) -> str:
    return f'{count} bytes' if count < 2**20 else \
        f'{count} bytes ({count / 2**20:.1f} MiB)'


def free_bytes(folder: str) -> int:
    return shutil.disk_usage(folder).free


def no_room_error(path: str, needed: int, free: int) -> CheckpointSpaceError:
    return CheckpointSpaceError(
        f'no room for checkpoint {path}: it needs {_size(needed)}, '
        f'{_size(free)} are free there; earlier checkpoints are untouched: '
        'free space or use another --work-dir, then --resume')


def write_atomically(data: Union[bytes, str], path: str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same
    folder (flushed, fsynced, renamed over ``path``). A write that finds no
    room raises :class:`CheckpointSpaceError` (before writing when the free
    space is already too small) and leaves no temporary file behind."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    payload = data.encode('utf-8') if isinstance(data, str) else data
    free = free_bytes(folder)
    if len(payload) > free:
        raise no_room_error(path, len(payload), free)
    temporary = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.tmp')
    try:
        with open(temporary, 'wb') as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as err:
        if osp.exists(temporary):
            os.remove(temporary)
        if err.errno in NO_ROOM:
            raise no_room_error(path, len(payload),
                                free_bytes(folder)) from err
        raise
    _sync_folder(folder)  # the rename itself survives a power cut


def _sync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder
        pass
    finally:
        os.close(fd)


def warn_if_next_will_not_fit(path: str, size: int) -> None:
    """An early warning: another checkpoint of ``size`` bytes will not fit
    beside ``path``."""
    free = free_bytes(osp.dirname(osp.abspath(path)))
    if free < size:
        print_log(
            f'the next checkpoint (about {_size(size)}) will not fit: '
            f'{_size(free)} free beside {path}; free space before the next '
            'save', logger='current', level=logging.WARNING)


@register_backend(BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, with every write atomic
    (:func:`write_atomically`) and a warning when the next file of the same
    size will not fit. ``CheckpointHook(backend_args=dict(backend=
    'gcp_atomic_local'))`` saves checkpoints with it."""

    def put(self, obj: bytes, filepath) -> None:
        write_atomically(obj, str(filepath))
        warn_if_next_will_not_fit(str(filepath), len(obj))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        write_atomically(obj.encode(encoding), str(filepath))


def point_last_checkpoint(work_dir: str, checkpoint: str) -> None:
    """Make ``<work_dir>/last_checkpoint`` name ``checkpoint`` (atomically,
    so that it always names a whole file)."""
    write_atomically(checkpoint, osp.join(work_dir, LAST_CHECKPOINT))


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``<work_dir>/last_checkpoint`` names, found in
    ``work_dir`` when the path written there no longer exists (the work dir
    was moved or copied); None when there is no ``last_checkpoint``."""
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        named = f.read().strip()
    if not named:
        return None
    if not osp.isabs(named):
        named = osp.join(work_dir, named)
    if not osp.exists(named):
        moved = osp.join(work_dir, osp.basename(named))
        if osp.exists(moved):
            return moved
    return named
