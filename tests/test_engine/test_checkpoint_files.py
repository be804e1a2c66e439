"""Checkpoint files are never torn: atomic writes, a full disk answered in
one line with the earlier files untouched, and last_checkpoint found after
the work dir moved."""
import errno
import io
import os
import shutil

import pytest

from gcp_mm.engine import (
    CheckpointSpaceError,
    checkpoint_files,
    last_checkpoint,
)
from gcp_mm.engine.checkpoint_files import (
    AtomicLocalBackend,
    point_last_checkpoint,
    write_atomically,
)


class FullDiskFile(io.FileIO):
    """A file on a disk that is full after ``room`` bytes."""
    room = 0

    def write(self, data):
        written = self.tell()
        if written + len(data) > self.room:
            super().write(bytes(data)[:max(self.room - written, 0)])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def full_after(room):
    def fake_open(path, mode='r', *args, **kwargs):
        assert mode == 'wb'
        FullDiskFile.room = room
        return FullDiskFile(path, 'wb')
    return fake_open


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    write_atomically(b'x' * 1000, path)
    write_atomically(b'y' * 10, path)
    with open(path, 'rb') as f:
        assert f.read() == b'y' * 10
    assert os.listdir(tmp_path) == ['epoch_1.pth']


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    backend = AtomicLocalBackend()
    first = str(tmp_path / 'epoch_1.pth')
    backend.put(b'a' * 5000, first)
    point_last_checkpoint(str(tmp_path), first)
    monkeypatch.setattr(checkpoint_files, 'open', full_after(3000),
                        raising=False)
    second = str(tmp_path / 'epoch_2.pth')
    with pytest.raises(CheckpointSpaceError) as err:
        backend.put(b'b' * 5000, second)
    monkeypatch.undo()
    line = str(err.value)
    assert '\n' not in line and len(line) < 300
    assert second in line and 'needs 5000 bytes' in line
    assert 'are free there' in line
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'last_checkpoint']
    with open(first, 'rb') as f:
        assert f.read() == b'a' * 5000
    assert last_checkpoint(str(tmp_path)) == first


def test_too_little_free_space_is_found_before_writing(tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(checkpoint_files, 'free_bytes', lambda folder: 100)
    with pytest.raises(CheckpointSpaceError,
                       match='needs 5000 bytes, 100 bytes are free'):
        write_atomically(b'c' * 5000, str(tmp_path / 'epoch_3.pth'))
    assert os.listdir(tmp_path) == []


def test_last_checkpoint_after_the_work_dir_moved(tmp_path):
    old = tmp_path / 'old'
    os.makedirs(old)
    (old / 'epoch_2.pth').write_bytes(b'z')
    point_last_checkpoint(str(old), str(old / 'epoch_2.pth'))
    assert last_checkpoint(str(old)) == str(old / 'epoch_2.pth')
    shutil.move(str(old), str(tmp_path / 'new'))
    assert last_checkpoint(str(tmp_path / 'new')) == str(
        tmp_path / 'new' / 'epoch_2.pth')
    assert last_checkpoint(str(tmp_path / 'nothing')) is None
