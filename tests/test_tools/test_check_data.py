"""tools/check_data.py and tools/train.py on a user's class folders with
bad files in them: short output, lines under 300 characters, the files
named, the exit status. check_data.py runs as users run it (run_tool: its
own process) once here, train.py and test.py in
tests/test_tools/test_train_test_demo.py; the other reports come from the
tools' main() in this interpreter (run_tool_here), which saves an
interpreter start each."""
import os
import shutil
import signal
import sys
import textwrap

import pytest

from gcp_mm.testing import (
    real_photo,
    tiny_classifier_config,
    write_bad_images,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def user_data(root, bad_names=('truncated', 'empty'), empty_class=False):
    """<root>/train/{a,b}/: two photos each, the bad files in a/, the
    CMYK JPEG and the PNG named .jpg (readable) in b/."""
    made = write_bad_images(str(root / 'made'))
    for name in 'ab':
        os.makedirs(root / 'train' / name)
        for i in range(2):
            shutil.copyfile(real_photo(), root / 'train' / name / f'{i}.jpg')
    for name in ('cmyk', 'png_as_jpg'):
        shutil.move(made[name], root / 'train' / 'b' / f'{name}.jpg')
    bad = []
    for name in bad_names:
        bad.append(str(root / 'train' / 'a' / f'{name}.jpg'))
        shutil.move(made[name], bad[-1])
    if empty_class:
        os.makedirs(root / 'train' / 'c')
    return bad


def write_config(root, **kwargs):
    path = str(root / 'tiny.py')
    tiny_classifier_config(str(root), str(root / 'work'), **kwargs).dump(path)
    return path


def lines_of(done):
    return (done.stdout + done.stderr).splitlines()


def report_of(done):
    """What check_data.py prints from its 'checked' line on."""
    lines = done.stdout.splitlines()
    start = [i for i, line in enumerate(lines) if line.startswith('checked ')]
    assert len(start) == 1, done.stdout
    return lines[start[0]:]


def test_check_data_lists_bad_files_and_empty_class_folders(tmp_path,
                                                            run_tool_here):
    bad = user_data(tmp_path, empty_class=True)
    done = run_tool_here('check_data.py',
                         write_config(tmp_path, num_classes=3),
                         '--splits', 'train', check=False)
    assert done.returncode == 1, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr
    lines = report_of(done)
    assert len(lines) <= 6, lines  # with the conversions line
    assert all(len(line) < 300 for line in lines), lines
    listed = [line for line in lines if line.startswith('bad: ')]
    assert len(listed) == 3, lines
    assert any(bad[0] in line and 'is truncated' in line for line in listed)
    assert any(bad[1] in line and '0 bytes' in line for line in listed)
    assert any(str(tmp_path / 'train' / 'c') in line and
               'class folder without images' in line for line in listed)
    assert not any('cmyk' in line or 'png_as_jpg' in line for line in lines)
    assert 'checked 8 images of train' in lines[0]


def test_check_data_reports_formats_conversions_and_unread_files(
        tmp_path, run_tool):
    """A class folder of 16-bit PNG and TIFF, WebP, GIF, TIFF, BMP and a
    note: every image is checked, the conversions are counted by kind, the
    note is reported; the tool's stdout starts with its own line."""
    import cv2
    import numpy as np
    from PIL import Image
    user_data(tmp_path, bad_names=())
    folder = tmp_path / 'train' / 'a'
    gradient = (np.arange(64 * 256).reshape(64, 256) * 4).astype(np.uint16)
    assert cv2.imwrite(str(folder / 'scan16.png'), gradient)
    assert cv2.imwrite(str(folder / 'scan16.tiff'), gradient)
    photo = Image.open(real_photo()).convert('RGB').resize((32, 32))
    for ext in ('webp', 'gif', 'tif', 'bmp'):
        photo.save(folder / f'photo.{ext}')
    (folder / 'notes.txt').write_text('labels by hand')
    done = run_tool('check_data.py', write_config(tmp_path), '--splits',
                    'train', '--workers', '1')
    lines = done.stdout.splitlines()
    assert lines[0].startswith('checked 12 images of train'), done.stdout
    assert lines[1] == (
        'train: 1 file not read (not images by extension: 1 .txt), e.g. '
        f'{folder / "notes.txt"}')
    head, _, kinds = lines[2].partition(': ')
    assert head == 'converted when loaded (docs/classification.md)'
    assert kinds.startswith('2 16-bit grayscale scaled to 8 bits, ')
    assert sorted(kinds.split(', ')[1:]) == [
        '1 CMYK converted to RGB', '1 palette converted to RGB']
    assert lines[3] == 'no problems found'


def test_check_data_on_clean_data(tmp_path, run_tool_here):
    user_data(tmp_path, bad_names=())
    done = run_tool_here('check_data.py', write_config(tmp_path), '--splits',
                         'train', '--workers', '1')
    assert 'no problems found' in done.stdout


def test_check_data_writes_a_long_list_to_a_file(tmp_path, run_tool_here):
    user_data(tmp_path, bad_names=())
    for i in range(12):  # twelve empty files
        open(tmp_path / 'train' / 'a' / f'empty{i:02d}.jpg', 'wb').close()
    out = tmp_path / 'problems.txt'
    done = run_tool_here('check_data.py', write_config(tmp_path), '--splits',
                         'train', '--out', out, check=False)
    assert done.returncode == 1
    assert len(report_of(done)) <= 14  # with the conversions line
    assert f'2 more; full list in {out}' in done.stdout
    assert len(out.read_text().splitlines()) == 12


def one_error_line(done):
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr, done.stderr[-3000:]
    errors = [line for line in lines_of(done) if line.startswith('error: ')]
    assert len(errors) == 1, done.stderr[-3000:]
    assert len(errors[0]) < 300, errors[0]
    return errors[0]


@pytest.mark.default_scope('mmpretrain')
def test_train_stops_at_a_bad_image_in_one_line(tmp_path, run_tool_here):
    bad = user_data(tmp_path, bad_names=('truncated', ))
    handlers = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]
    done = run_tool_here('train.py', write_config(tmp_path, num_workers=1),
                         check=False)
    error = one_error_line(done)
    assert bad[0] in error and 'is truncated' in error, error
    assert 'tools/check_data.py' in error
    # the run's Ctrl-C handling ends with it, even ended by an error
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)
            ] == handlers


CORRUPTING_HOOK = '''
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class TruncateAfterFirstEpoch(Hook):
    """A file damaged while the run goes on (a full disk, a sync)."""

    def __init__(self, path):
        self.path = path

    def after_train_epoch(self, runner):
        with open(self.path, 'r+b') as f:
            f.truncate(f.seek(0, 2) // 2)
'''


@pytest.mark.default_scope('mmpretrain')
def test_stopping_keeps_the_last_epoch_checkpoint(tmp_path, run_tool_here,
                                                  monkeypatch):
    user_data(tmp_path, bad_names=())
    victim = str(tmp_path / 'train' / 'b' / '1.jpg')
    (tmp_path / 'corrupt_hook.py').write_text(textwrap.dedent(
        CORRUPTING_HOOK))
    cfg = tiny_classifier_config(str(tmp_path), str(tmp_path / 'work'),
                                 num_workers=1, epochs=3)
    cfg.custom_imports.imports.append('corrupt_hook')
    cfg.custom_hooks.append(dict(type='TruncateAfterFirstEpoch',
                                 path=victim))
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    from mmengine.registry import HOOKS
    monkeypatch.syspath_prepend(str(tmp_path))  # custom_imports finds it
    try:
        done = run_tool_here('train.py', config, check=False)
    finally:  # the hook module and its registration stay with this test
        sys.modules.pop('corrupt_hook', None)
        HOOKS._module_dict.pop('TruncateAfterFirstEpoch', None)
    error = one_error_line(done)
    assert victim in error and 'is truncated' in error, error
    work = tmp_path / 'work'
    assert (work / 'epoch_1.pth').is_file()
    assert not (work / 'epoch_2.pth').exists()


def test_empty_class_folder_is_refused_before_training(tmp_path,
                                                       run_tool_here):
    user_data(tmp_path, bad_names=(), empty_class=True)
    done = run_tool_here('train.py', write_config(tmp_path, num_classes=3),
                         check=False)
    error = one_error_line(done)
    assert str(tmp_path / 'train' / 'c') in error, error
    assert 'class folder without images' in error
    assert not (tmp_path / 'work').exists()


@pytest.mark.default_scope('mmpretrain')
def test_test_tool_stops_at_a_bad_image_in_one_line(tmp_path, run_tool_here):
    import torch
    from mmpretrain.registry import MODELS
    bad = user_data(tmp_path, bad_names=('empty', ))
    cfg = tiny_classifier_config(str(tmp_path), str(tmp_path / 'work'),
                                 num_workers=1)
    cfg.test_dataloader = cfg.train_dataloader
    cfg.test_cfg = dict()
    cfg.test_evaluator = dict(type='Accuracy', topk=(1, ))
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()),
               checkpoint)
    done = run_tool_here('test.py', config, checkpoint, check=False)
    error = one_error_line(done)
    assert bad[0] in error and 'is empty (0 bytes)' in error, error
    assert 'evaluation stops at any bad image, whatever on_bad_image says' \
        in error and "set on_bad_image='skip'" not in error


def test_check_data_looks_inside_wrappers(tmp_path, capsys):
    """A ConcatDataset of a RepeatDataset around the class folders: their
    empty class folder and unread note are found (in-process: the tool's
    lines, not a fresh Python)."""
    import importlib.util
    import types

    import pytest
    from mmengine.config import Config
    user_data(tmp_path, bad_names=(), empty_class=True)
    (tmp_path / 'train' / 'b' / 'notes.txt').write_text('not an image')
    folders = dict(type='CustomDataset', data_root=str(tmp_path),
                   data_prefix='train', pipeline=[])
    config = str(tmp_path / 'wrapped.py')
    Config(dict(default_scope='mmpretrain', train_dataloader=dict(
        dataset=dict(type='ConcatDataset', datasets=[dict(
            type='RepeatDataset', times=2, dataset=folders)])))).dump(config)
    spec = importlib.util.spec_from_file_location(
        'check_data_tool', os.path.join(ROOT, 'tools', 'check_data.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as done:
        tool.main([config, '--splits', 'train', '--workers', '1',
                   '--work-dir', str(tmp_path / 'work')])
    assert done.value.code == 1
    lines = report_of(types.SimpleNamespace(stdout=capsys.readouterr().out))
    assert 'checked 6 images of train' in lines[0]
    assert any(line.startswith('train: 1 file not read') and
               'notes.txt' in line for line in lines), lines
    assert any(line.startswith('bad: ') and str(tmp_path / 'train' / 'c')
               in line and 'class folder without images' in line
               for line in lines), lines
