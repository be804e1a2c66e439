"""The config mistakes that ended in tracebacks: each is one line under
300 characters, exit status 2, no traceback, no work dir. One case runs
tools/train.py as users do (a fresh interpreter, stdout free of
third-party noise); the others call the same tool's main() in this
process, as the tests of one tool share one import."""
import importlib.util
import os
import re

import pytest
import torch

from gcp_mm.testing import classifier_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LINE_BUDGET = 300


def tool_main(name):
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', os.path.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    from gcp_mm.demo.data import make_color_texture_dataset
    root = tmp_path_factory.mktemp('mistakes')
    make_color_texture_dataset(str(root / 'data'), 1, 1, size=32)
    cfg = classifier_config(str(root / 'data'), str(root / 'unused'),
                            size=32, epochs=1)
    cfg.on_bad_image = 'stop'  # as the zoo's configs set it
    cfg.dump(str(root / 'gcp.py'))
    return root


def one_line_exit(capsys, tmp_path, main, *argv, expected):
    work_dir = tmp_path / 'work'
    with pytest.raises(SystemExit) as info:
        main([*map(str, argv), '--work-dir', str(work_dir)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    errors = [line for line in err.splitlines() if line.startswith('error:')]
    assert len(errors) == 1, err[-3000:]
    assert len(errors[0]) < LINE_BUDGET, errors[0]
    for pattern in expected:
        assert re.search(pattern, errors[0]), (pattern, errors[0])
    assert not work_dir.exists(), 'the work dir was written'
    return errors[0]


def test_misspelt_neck_through_the_tool(tiny, tmp_path, run_tool):
    work_dir = tmp_path / 'work'
    done = run_tool('train.py', tiny / 'gcp.py', '--work-dir', work_dir,
                    '--cfg-options',
                    'model.neck.type=GlobalCovariancePoolin', check=False)
    assert done.returncode == 2 and 'Traceback' not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: model.neck.type: 'GlobalCovariancePoolin' is not registered "
        "in mmpretrain (nor in mmengine); did you mean "
        "'GlobalCovariancePooling'?"]
    assert done.stdout == ''  # no 'Could not import OneDL' first
    assert not work_dir.exists()


@pytest.mark.parametrize('option,expected', [
    ('optim_wrapper.optimizer.type=SGDD',
     [r"^error: optim_wrapper\.optimizer\.type: 'SGDD' is not registered",
      r"did you mean 'SGD'\?"]),
    ('train_dataloader.dataset.pipeline.1.type=RandomResizedCro',
     [r"train_dataloader\.dataset\.pipeline\.1\.type: 'RandomResizedCro' "
      r"is not registered", r"did you mean 'RandomResizedCrop'\?"]),
    ('on_bad_image=skipp',
     [r"^error: on_bad_image='skipp': it must be 'stop' or 'skip' \(did "
      r"you mean 'skip'\?\)"]),
    ('train_cfg.max_epochs=abc',
     [r'^error: --cfg-options train_cfg\.max_epochs: the config holds a '
      r'number there, not a string; give a number, e\.g\. '
      r'train_cfg\.max_epochs=1$']),
    ('train_dataloader.batch_size=0',
     [r'^error: train_dataloader\.batch_size=0: it must be a whole number '
      r'of at least 1']),
    ('train_dataloader.num_workers=-1',
     [r'train_dataloader\.num_workers=-1: it must be a whole number of at '
      r'least 0']),
    ('train_cfg.val_interval=0.5',
     [r'train_cfg\.val_interval=0\.5: it must be a whole number']),
    ("param_scheduler=dict(type='StepLR', step_size=1)",
     [r'--cfg-options param_scheduler: the config holds a list there, not '
      r'a dict; give a list, e\.g\. param_scheduler="\[dict\(.*PolyLR']),
    ('model.head.num_classes=3',
     [r'^error: val_evaluator\.topk=\(1, 5\): top-5 accuracy needs at least '
      r'5 classes, but there are 3; set --cfg-options '
      r'val_evaluator\.topk="\(1,\)"']),
])
def test_config_mistakes(tiny, tmp_path, capsys, option, expected):
    one_line_exit(capsys, tmp_path, tool_main('train'), tiny / 'gcp.py',
                  '--cfg-options', option, expected=expected)


def test_a_symlink_loop_in_the_data(tiny, tmp_path, capsys):
    link = tiny / 'data' / 'train' / os.listdir(tiny / 'data' / 'train')[0] \
        / 'loop'
    os.symlink(tiny / 'data' / 'train', link)
    try:
        one_line_exit(capsys, tmp_path, tool_main('train'), tiny / 'gcp.py',
                      expected=[r'^error: train_dataloader: symbolic link '
                                r'loop: .*loop points to .*train, a folder '
                                r'it is in', r'remove the link'])
    finally:
        os.remove(link)


def test_an_already_converted_checkpoint(tiny, tmp_path, capsys):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    model = MODELS.build(Config.fromfile(str(tiny / 'gcp.py')).model)
    path = tmp_path / 'converted.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    with pytest.raises(SystemExit) as info:
        tool_main('convert_checkpoint')([str(path), str(tmp_path / 'o.pth')])
    assert info.value.code == 2
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(r"error: .*converted\.pth is already in gcp-mm's "
                        r'format .*tools/test\.py and tools/infer\.py take '
                        r'it as it is.*', line), line
    assert len(line) < LINE_BUDGET and not (tmp_path / 'o.pth').exists()
