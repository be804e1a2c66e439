"""Reading torch.save checkpoints of both formats (zip, and the legacy one
that the paper's PyTorch 1.3/1.4 wrote), with errors that name the file."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from gcp_mm.checkpoint import (
    CheckpointError,
    check_state_dict_fits,
    checkpoint_format,
    load_checkpoint_file,
)
from gcp_mm.errors import InputFileError
from gcp_mm.testing import reference_net, save_released


@pytest.fixture(scope='module')
def released_r18(tmp_path_factory):
    """A ResNet-18 GCP file written as the paper's training script did."""
    net = reference_net('resnet18', 'gcp')
    path = tmp_path_factory.mktemp('released') / 'r18.pth.tar'
    save_released(net, path, 'resnet18')
    return net, path


def test_legacy_file_is_what_pytorch_1_4_wrote(released_r18):
    _, path = released_r18
    raw = path.read_bytes()
    assert not raw.startswith(b'PK')  # not a zip archive
    # the first pickle is torch's magic number 0x1950a86a20f9469cfc6c
    assert pickle.loads(raw[:16]) == 0x1950a86a20f9469cfc6c
    assert checkpoint_format(str(path)) == 'legacy'


def test_released_legacy_checkpoint_loads_everything(released_r18):
    net, path = released_r18
    checkpoint = load_checkpoint_file(str(path))
    assert set(checkpoint) == {'epoch', 'arch', 'state_dict', 'best_acc1',
                               'optimizer'}
    assert checkpoint['arch'] == 'mpncovresnet18'
    assert checkpoint['epoch'] == 100
    # saved from 'cuda:0' storages, mapped onto the CPU
    assert checkpoint['best_acc1'].device.type == 'cpu'
    assert checkpoint['best_acc1'].item() == pytest.approx(75 + np.pi)
    state = checkpoint['state_dict']
    for key, value in net.net.state_dict().items():
        assert torch.equal(state['module.' + key], value), key
    optim = checkpoint['optimizer']
    params = list(net.net.parameters())
    assert len(optim['state']) == len(params)
    assert optim['param_groups'][0]['momentum'] == 0.9
    buffers = [optim['state'][i]['momentum_buffer'] for i in range(3)]
    assert [b.shape for b in buffers] == [p.shape for p in params[:3]]


def test_zip_checkpoint_loads(tmp_path):
    path = tmp_path / 'new.pth'
    save_released(reference_net('resnet18', 'gap'), path, 'resnet18',
                  legacy=False)
    assert checkpoint_format(str(path)) == 'zip'
    assert 'module.fc.weight' in load_checkpoint_file(str(path))['state_dict']


@pytest.mark.parametrize('fraction', [0.001, 0.3, 0.7, 0.999])
def test_truncated_legacy_file_is_refused(released_r18, tmp_path, fraction):
    _, path = released_r18
    raw = path.read_bytes()
    cut = tmp_path / 'cut.pth.tar'
    cut.write_bytes(raw[:max(17, int(len(raw) * fraction))])
    with pytest.raises(CheckpointError,
                       match=r'cut\.pth\.tar.*corrupt or truncated'):
        load_checkpoint_file(str(cut))


def test_truncated_zip_file_is_refused(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'w': torch.zeros(1000)}, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match=r'cut\.pth.*zip archive is '
                       'truncated or corrupt'):
        checkpoint_format(str(path))


def test_corrupted_legacy_bytes_are_refused(released_r18, tmp_path):
    _, path = released_r18
    raw = bytearray(path.read_bytes())
    raw[40:60] = b'\xff' * 20  # inside the object pickle
    bad = tmp_path / 'bad.pth.tar'
    bad.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r'bad\.pth\.tar'):
        load_checkpoint_file(str(bad))


@pytest.mark.parametrize('content', [b'', b'not a checkpoint at all'])
def test_other_files_are_refused(tmp_path, content):
    path = tmp_path / 'broken.pth.tar'
    path.write_bytes(content)
    with pytest.raises(CheckpointError,
                       match=r'broken\.pth\.tar.*not a PyTorch checkpoint'):
        checkpoint_format(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match='checkpoint file not found'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


class _Payload:
    pass


@pytest.mark.parametrize('legacy', [True, False])
def test_foreign_objects_are_refused_and_named(tmp_path, legacy):
    path = tmp_path / 'odd.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)}, extra=_Payload()), path,
               _use_new_zipfile_serialization=not legacy)
    with pytest.raises(CheckpointError,
                       match=r'odd\.pth: it pickles objects other than '
                       r'tensors \(.*test_io\._Payload\)'):
        load_checkpoint_file(str(path))


def test_mmengine_training_checkpoint_loads(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)},
                    message_hub=dict(log_scalars={
                        'loss': HistoryBuffer(np.array([1.0]), np.array([1]))
                    })), path)
    assert torch.equal(load_checkpoint_file(str(path))['state_dict']['w'],
                       torch.ones(2))


def test_legacy_file_with_mmengine_objects_is_refused(tmp_path):
    # only zip files (mmengine's own) may carry mmengine's objects
    path = tmp_path / 'old.pth'
    torch.save(dict(buffer=HistoryBuffer(np.array([1.0]), np.array([1]))),
               path, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match='HistoryBuffer'):
        load_checkpoint_file(str(path))


def test_state_dict_fit_lists_every_problem():
    target = {'a': torch.zeros(2), 'b': torch.zeros(3), 'c': torch.zeros(1)}
    state = {'a': torch.zeros(2), 'b': torch.zeros(4), 'x': torch.zeros(1)}
    with pytest.raises(CheckpointError) as err:
        check_state_dict_fits(state, target, 'Net', 'f.pth')
    assert str(err.value) == (
        'f.pth does not fit Net: unknown keys (1): x; missing keys (1): c; '
        'shape mismatches (1): b: (4,) in the file, (3,) in the model')
