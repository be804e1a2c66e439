"""One existence check for every file a user names: each kind of missing
file (config, checkpoint, released weights, data file and folder, the
detection backbone's weights, the robustness tool's inputs) is the one
``InputFileError`` line with the path, and the tools print it as it is."""
import os

import pytest
from mmengine.config import Config

from gcp_mm.errors import InputError, InputFileError
from gcp_mm.input_files import check_input_path


def test_missing_wrong_kind_and_present(tmp_path):
    folder, file = tmp_path / 'runs', tmp_path / 'a.pth'
    folder.mkdir()
    file.write_bytes(b'x')
    gone = str(tmp_path / 'gone.pth')
    with pytest.raises(InputFileError) as err:
        check_input_path(gone, 'checkpoint file', 'check the path',
                         key='--resume')
    assert str(err.value) == (f'--resume: checkpoint file not found: {gone}; '
                              'check the path')
    # one kind for the tools (InputError) and for code that catches the
    # built-in one
    assert isinstance(err.value, InputError)
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(InputFileError) as err:
        check_input_path(str(folder), 'checkpoint file',
                         folder_fix='pass the .pth file inside it')
    assert str(err.value) == (f'{folder} is a directory, not a checkpoint '
                              'file; pass the .pth file inside it')
    with pytest.raises(InputFileError) as err:
        check_input_path(str(file), 'image folder', 'pass a folder',
                         kind='folder')
    assert str(err.value) == (f'{file} is a file, not an image folder; pass a '
                              'folder')
    assert check_input_path(str(file), 'x') == str(file)
    assert check_input_path(str(folder), 'x', kind='folder') == str(folder)
    assert check_input_path(str(folder), 'x', kind='any') == str(folder)
    assert check_input_path(str(file), 'x', kind='any') == str(file)
    with pytest.raises(InputFileError, match='^weights not found: None$'):
        check_input_path(None, 'weights')


def _read_config(path):
    from gcp_mm.config_file import read_config
    read_config(path)


def _checkpoint(path):
    from gcp_mm.checkpoint import load_checkpoint_file
    load_checkpoint_file(path)


def _released_weights(path):
    from gcp_mm.checkpoint import read_state_dict
    read_state_dict(path)


def _robustness_config(path):
    from gcp_mm.robustness.evaluate import check_model_files
    check_model_files(path, __file__)


def _robustness_checkpoint(path):
    from gcp_mm.robustness.evaluate import check_model_files
    check_model_files(__file__, path)


def _detection_backbone(path):
    from gcp_mm.models.backbones import GCPResNet
    GCPResNet(depth=18, init_cfg=dict(type='Pretrained',
                                      checkpoint=path)).init_weights()


def _load_from(path):
    from gcp_mm.cli import check_pretrained_backbone
    check_pretrained_backbone(Config(dict(model=dict(), load_from=path)))


def _resume(path):
    from gcp_mm.cli import check_resume
    check_resume(Config(dict(model=dict(), resume=True, load_from=path)))


def _data_folder(path):
    from gcp_mm.cli import check_data_paths
    check_data_paths(Config(dict(train_dataloader=dict(dataset=dict(
        type='CustomDataset', data_root=path)))), ['train_dataloader'])


def _annotation_file(path):
    from gcp_mm.cli import check_data_paths
    check_data_paths(Config(dict(val_dataloader=dict(dataset=dict(
        type='CocoDataset', ann_file=path)))), ['val_dataloader'])


def _evaluator_file(path):
    from gcp_mm.cli import check_data_paths
    check_data_paths(Config(dict(val_dataloader=dict(dataset=dict()),
                                 val_evaluator=dict(ann_file=path))),
                     ['val_dataloader'])


@pytest.mark.parametrize('name, use, words', [
    ('m.py', _read_config, 'config file not found'),
    ('m.pth', _checkpoint, 'checkpoint file not found'),
    ('m.pth.tar', _released_weights, 'checkpoint file not found'),
    ('m.py', _robustness_config, 'config file not found'),
    ('m.pth', _robustness_checkpoint, 'checkpoint file not found'),
    ('m.pth', _detection_backbone, 'GCP-pretrained checkpoint not found'),
    ('m.pth', _load_from, 'load_from: checkpoint not found'),
    ('m.pth', _resume, '--resume: checkpoint file not found'),
    ('data', _data_folder, 'train_dataloader: data_root not found'),
    ('a.json', _annotation_file, 'val_dataloader: ann_file not found'),
    ('a.json', _evaluator_file, 'val_evaluator: ann_file not found'),
])
def test_each_named_file_missing_is_the_one_kind(tmp_path, name, use, words):
    missing = str(tmp_path / 'nowhere' / name)
    with pytest.raises(InputFileError) as err:
        use(missing)
    line = str(err.value)
    assert line.startswith(words) and missing in line, line
    assert '\n' not in line and len(line) < 300, line


@pytest.mark.parametrize('use', [_checkpoint, _robustness_checkpoint,
                                 _detection_backbone, _load_from, _resume])
def test_a_folder_for_a_checkpoint_names_the_file_to_pass(tmp_path, use):
    with pytest.raises(InputFileError) as err:
        use(str(tmp_path))
    assert f'{tmp_path} is a directory, not a' in str(err.value)
    assert 'pass the .pth file inside it' in str(err.value)


def test_the_tools_print_it_as_it_is(tmp_path, capsys):
    from gcp_mm.cli import exit_on_usage_error
    missing = str(tmp_path / 'm.py')
    with pytest.raises(SystemExit) as done:
        exit_on_usage_error(lambda argv: _read_config(missing))([])
    assert done.value.code == 2
    assert capsys.readouterr().err == (
        f'error: config file not found: {missing}\n')
    assert not os.path.exists(missing)
