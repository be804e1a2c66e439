"""Every expected user mistake ends in one line that names the problem and
the fix, exit status 2, no traceback, before anything is built (nothing is
written to the work dir). The one-line answers come from the tools' main()
in this interpreter (tests/conftest.py's run_tool_here: no interpreter
start per case), as do the other runs of train.py, test.py and
convert_checkpoint.py here but one (test.py --partial's logged line, in
its own process); every tool's --help runs in one process. The tools run
as users run them in tests/test_tools/test_train_test_demo.py (train.py,
test.py) and tests/test_packaging.py (convert_checkpoint.py, from the
wheel)."""
import json
import os
import re
import subprocess
import sys

import pytest
import torch

from gcp_mm.testing import (
    classifier_config,
    detector_config,
    reference_net,
    save_released,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOLS = ('train.py', 'test.py', 'demo.py', 'convert_checkpoint.py',
         'robustness.py', 'analysis/plot_landscape.py', 'check_data.py')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A GCP ResNet-18 config on generated textures, and checkpoints."""
    from mmpretrain.registry import MODELS

    from gcp_mm.demo.data import make_color_texture_dataset
    root = tmp_path_factory.mktemp('tiny')
    make_color_texture_dataset(str(root / 'data'), 1, 1, size=32)
    paths = {}
    for head in ('gap', 'gcp'):
        cfg = classifier_config(str(root / 'data'), str(root / 'unused'),
                                head=head, size=32, epochs=1)
        paths[f'{head}.py'] = str(root / f'{head}.py')
        cfg.dump(paths[f'{head}.py'])
        model = MODELS.build(cfg.model)
        paths[f'{head}.pth'] = str(root / f'{head}.pth')
        torch.save(dict(state_dict=model.state_dict()), paths[f'{head}.pth'])
    cfg.model.head.num_classes = 10  # a GCP run with another class count
    paths['10classes.pth'] = str(root / '10classes.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()),
               paths['10classes.pth'])
    paths['released.pth.tar'] = str(root / 'released.pth.tar')
    save_released(reference_net('resnet18', 'gcp'), paths['released.pth.tar'],
                  'resnet18')
    return paths


# every one-line answer stays under this many characters
LINE_BUDGET = 300


def fails_clearly(run_tool, tmp_path, tool, *args, expected, report=None):
    """Run the tool; it must exit 2 with one error line under the budget
    matching every pattern of ``expected``, no traceback, and no work dir
    (or one holding only the ``report`` that the line names)."""
    work_dir = tmp_path / 'work'
    done = run_tool(tool, *args, '--work-dir', work_dir, check=False)
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr
    errors = [line for line in done.stderr.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1, done.stderr[-3000:]
    assert len(errors[0]) < LINE_BUDGET, errors[0]
    for pattern in expected:
        assert re.search(pattern, errors[0]), (pattern, errors[0])
    if report is None:
        assert not work_dir.exists(), 'the work dir was written'
    else:
        assert sorted(p.name for p in work_dir.iterdir()) == [report]
        assert str(work_dir / report) in errors[0]
    return errors[0]


# ------------------------------------------------------------ tools/test.py


def test_unconverted_released_checkpoint_is_refused(tiny, tmp_path,
                                                    run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'test.py', tiny['gcp.py'],
                  tiny['released.pth.tar'],
                  expected=[r'^error: convert .*released\.pth\.tar with '
                            r'tools/convert_checkpoint\.py first',
                            r'released resnet18 gcp file'])


def test_gap_checkpoint_for_gcp_config_is_refused(tiny, tmp_path,
                                                  run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'test.py', tiny['gcp.py'],
                  tiny['gap.pth'],
                  expected=[r'^error: pass the checkpoint of this config',
                            r'--partial', r'gap\.pth does not fit',
                            r'missing keys.*neck\.reduction\.0\.weight'],
                  report='checkpoint_mismatch.txt')


def test_other_class_count_is_refused(tiny, tmp_path, run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'test.py', tiny['gcp.py'],
                  tiny['10classes.pth'],
                  expected=[r'shape mismatches.*head\.fc\.weight: '
                            r'\(10, 32896\) in the file, \(8, 32896\) in '
                            r'the model'],
                  report='checkpoint_mismatch.txt')


@pytest.mark.default_scope('mmpretrain')
def test_partial_loading_is_explicit(tiny, tmp_path, run_tool_here):
    done = run_tool_here('test.py', tiny['gcp.py'], tiny['gap.pth'],
                         '--partial', '--work-dir', tmp_path / 'w')
    assert 'top-1:' in done.stdout


def test_missing_test_checkpoint(tiny, tmp_path, run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'test.py', tiny['gcp.py'],
                  tmp_path / 'nowhere.pth',
                  expected=[r'checkpoint file not found: .*nowhere\.pth'])


# ----------------------------------------------------------- tools/train.py


def test_wrong_validation_path(tiny, tmp_path, run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'train.py', tiny['gcp.py'],
                  '--cfg-options', 'val_dataloader.dataset.data_prefix=vall',
                  expected=[r'val_dataloader: data_prefix not found: '
                            r'.*/vall', r'set val_dataloader\.dataset\.'
                            r'data_root'])


def test_missing_detection_backbone_checkpoint(tmp_path, run_tool_here):
    from gcp_mm.demo.data import make_coco_shapes_dataset
    make_coco_shapes_dataset(str(tmp_path / 'coco'), 2, 1, size=64)
    cfg = detector_config(
        os.path.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py'),
        str(tmp_path / 'coco'), str(tmp_path / 'unused'), size=64,
        epochs=1)
    config = str(tmp_path / 'det.py')
    cfg.dump(config)
    missing = re.escape(cfg.model.backbone.init_cfg.checkpoint)
    fails_clearly(run_tool_here, tmp_path, 'train.py', config,
                  expected=[r'model\.backbone\.init_cfg\.checkpoint: '
                            rf'checkpoint not found: {missing}',
                            r'tools/convert_checkpoint\.py'])


def test_gcp_backbone_under_a_stock_mmdet_base(tmp_path, run_tool_here):
    """mmdet's own Faster R-CNN base with the backbone swapped to GCPResNet
    inherits torchvision's GAP ResNet-50 init: answered before anything is
    built, with both fixes."""
    from gcp_mm.demo.data import make_coco_shapes_dataset
    make_coco_shapes_dataset(str(tmp_path / 'coco'), 2, 1, size=64)
    config = tmp_path / 'mine.py'
    config.write_text(
        "_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'\n"
        "custom_imports = dict(imports=['gcp_mm'], "
        "allow_failed_imports=False)\n"
        "model = dict(backbone=dict(type='GCPResNet', variant='M'))\n"
        f"data_root = '{tmp_path / 'coco'}/'\n"
        "train_dataloader = dict(dataset=dict(data_root=data_root, "
        "ann_file='annotations/train.json', data_prefix=dict(img='images/'"
        ")))\n"
        "val_dataloader = dict(dataset=dict(data_root=data_root, "
        "ann_file='annotations/val.json', data_prefix=dict(img='images/'"
        ")))\n"
        "val_evaluator = dict(ann_file=data_root + 'annotations/val.json')\n")
    fails_clearly(run_tool_here, tmp_path, 'train.py', config,
                  expected=[r'^error: model\.backbone\.init_cfg: convert '
                            r'GCP ImageNet weights \(tools/convert_checkpoint'
                            r'\.py\)', r'init_cfg=None to train from '
                            r'scratch', r'torchvision://resnet50 is a GAP '
                            r'ResNet'])


def test_gcp_backbone_from_a_plain_imagenet_resnet_file(tmp_path,
                                                        run_tool_here):
    """A torchvision ImageNet ResNet file (as users download it) for
    GCPResNet: a GAP network's weights, refused with both fixes."""
    import torchvision

    from gcp_mm.demo.data import make_coco_shapes_dataset
    make_coco_shapes_dataset(str(tmp_path / 'coco'), 2, 1, size=64)
    plain = tmp_path / 'resnet18-f37072fd.pth'
    torch.save(torchvision.models.resnet18().state_dict(), plain)
    cfg = detector_config(
        os.path.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py'),
        str(tmp_path / 'coco'), str(tmp_path / 'unused'), size=64,
        epochs=1)
    cfg.model.backbone.depth = 18
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.model.backbone.init_cfg.checkpoint = str(plain)
    config = str(tmp_path / 'det.py')
    cfg.dump(config)
    fails_clearly(run_tool_here, tmp_path, 'train.py', config,
                  expected=[r'model\.backbone\.init_cfg=None',
                            r'resnet18-f37072fd\.pth is a GAP ResNet'])


def test_a_directory_as_checkpoint(tiny, tmp_path, run_tool_here):
    (tmp_path / 'epochs').mkdir()
    fails_clearly(run_tool_here, tmp_path, 'test.py', tiny['gcp.py'],
                  tmp_path / 'epochs',
                  expected=[r'epochs is a directory, not a checkpoint file'])


def test_typo_in_a_nested_option_is_refused_before_building(tiny, tmp_path,
                                                           run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'train.py', tiny['gcp.py'],
                  '--cfg-options', 'model.neck.reduced_chanels=32',
                  expected=[r"GlobalCovariancePooling takes no argument "
                            r"'reduced_chanels'; did you mean "
                            r"model\.neck\.reduced_channels\?"])


def test_new_nested_options_that_exist_pass(tiny):
    """Arguments left at their defaults may be set, also those that go on
    to a base class through **kwargs."""
    from gcp_mm.cli import load_config
    cfg = load_config(tiny['gcp.py'], ['model.neck.num_iters=3',
                                       'model.backbone.frozen_stages=1'])
    assert cfg.model.neck.num_iters == 3
    det = load_config(
        os.path.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py'),
        ['model.backbone.frozen_stages=2'])  # GCPResNet(**kwargs) -> ResNet
    assert det.model.backbone.frozen_stages == 2
    with pytest.raises(Exception, match=r"GCPResNet takes no argument "
                       r"'frozen_stage'; did you mean "
                       r"model\.backbone\.frozen_stages\?"):
        load_config(os.path.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py'),
                    ['model.backbone.frozen_stage=2'])


def test_partial_loading_says_what_it_kept(tiny, tmp_path, run_tool):
    # a real process: the line comes through mmengine's current logger,
    # whose stdout handler a logger made earlier in this interpreter holds
    # from before run_tool_here's capture
    done = run_tool('test.py', tiny['gcp.py'], tiny['10classes.pth'],
                    '--partial', '--work-dir', tmp_path / 'w')
    line = next(line for line in done.stdout.splitlines()
                if '10classes.pth: ' in line)
    assert re.search(r'10classes\.pth: \d+ tensors load into the model; '
                     r'kept at their initialisation: head\.fc: 10 classes '
                     r'in the file, 8 in the model', line), line


@pytest.mark.default_scope('mmpretrain')
def test_resume_without_checkpoint_says_so(tiny, tmp_path, run_tool_here):
    done = run_tool_here('train.py', tiny['gcp.py'], '--resume', '--work-dir',
                         tmp_path / 'w', '--cfg-options',
                         'train_dataloader.batch_size=8')
    assert (f'--resume: no checkpoint in {tmp_path / "w"} to resume from; '
            'training starts from scratch') in done.stdout


def test_resume_from_missing_or_truncated_file(tiny, tmp_path, run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'train.py', tiny['gcp.py'],
                  '--resume', tmp_path / 'gone.pth',
                  expected=[r'--resume: checkpoint file not found: '
                            r'.*gone\.pth'])
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(open(tiny['gcp.pth'], 'rb').read()[:5000])
    fails_clearly(run_tool_here, tmp_path, 'train.py', tiny['gcp.py'],
                  '--resume', cut,
                  expected=[r'cut\.pth: the zip archive is truncated'])


def test_config_path_typo(tmp_path, run_tool_here):
    fails_clearly(run_tool_here, tmp_path, 'train.py',
                  'configs/imagenet/resnet50_gcp_lrnrom.py',
                  expected=[r'config file not found: configs/imagenet/'
                            r'resnet50_gcp_lrnrom\.py'])


@pytest.mark.parametrize('option,expected', [
    ('load_form=x.pth', [r"--cfg-options load_form: the config has "
                         r"no key 'load_form'; did you mean load_from\?"]),
    ('model.backbon.depth=50', [r"model has no key 'backbon'; did you mean "
                                r'model\.backbone\?']),
    ('train_cfg.max_epochs', [r"'train_cfg\.max_epochs': expected "
                              r'key=value']),
])
def test_bad_cfg_options(tiny, tmp_path, run_tool_here, option, expected):
    fails_clearly(run_tool_here, tmp_path, 'train.py', tiny['gcp.py'],
                  '--cfg-options', option, expected=expected)


def test_list_of_dicts_on_the_command_line():
    from gcp_mm.cli import load_config
    cfg = load_config(
        os.path.join(ROOT, 'configs', 'imagenet', 'resnet18_gcp_lrnorm.py'),
        ["visualizer.vis_backends=[dict(type='LocalVisBackend'), "
         "dict(type='TensorboardVisBackend')]", 'train_cfg.max_epochs=3',
         'model.backbone.frozen_stages=1', 'work_dir=runs/a'])
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.model.backbone.frozen_stages == 1
    assert cfg.work_dir == 'runs/a'


def test_debug_shows_the_traceback(tmp_path, run_tool_here):
    done = run_tool_here('train.py', 'nowhere.py', '--debug', check=False)
    assert done.returncode == 2
    assert 'Traceback' in done.stderr and 'error: config file not found' \
        in done.stderr


# ----------------------------------------------- the other tools, --help


def test_convert_missing_file(tmp_path, run_tool_here):
    done = run_tool_here('convert_checkpoint.py', tmp_path / 'nope.pth.tar',
                         tmp_path / 'out.pth', check=False)
    assert done.returncode == 2 and 'Traceback' not in done.stderr
    assert 'error: checkpoint file not found' in done.stderr
    assert not (tmp_path / 'out.pth').exists()


def option_lines(help_text):
    """(option, its help) for every option of an argparse --help."""
    options, current = [], None
    for line in help_text.splitlines():
        match = re.match(r'^  (-\S.*?|[a-z_A-Z]\S*)(\s{2,}(.*))?$', line)
        if match:
            current = [match.group(1), match.group(3) or '']
            options.append(current)
        elif current is not None and line.startswith(' ' * 10):
            current[1] += line.strip()
        elif not line.strip():
            current = None
    return options


# Every tool's --help, in one interpreter (the imports of a tool's process
# are most of its seconds): the exit status and the text of each.
HELP_SCRIPT = '''
import contextlib, io, json, runpy, sys
texts = {}
for tool in sys.argv[1:]:
    out, status = io.StringIO(), None
    sys.argv = [tool, '--help']
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(tool, run_name='__main__')
        except SystemExit as done:
            status = done.code
    texts[tool] = [status, out.getvalue()]
print(json.dumps(texts))
'''


@pytest.fixture(scope='module')
def help_texts():
    """tool -> (exit status, --help text)."""
    done = subprocess.run(
        [sys.executable, '-c', HELP_SCRIPT,
         *[os.path.join(ROOT, 'tools', tool) for tool in TOOLS]],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    texts = json.loads(done.stdout.strip().splitlines()[-1])
    return {tool: texts[os.path.join(ROOT, 'tools', tool)] for tool in TOOLS}


@pytest.mark.parametrize('tool', TOOLS)
def test_help_explains_every_option(tool, help_texts):
    status, text = help_texts[tool]
    assert status == 0, text
    options = option_lines(text)
    assert options, text
    for option, text in options:
        assert len(text.split()) >= 2, f'{tool}: {option} has no help'
