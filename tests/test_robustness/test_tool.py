"""tools/robustness.py: the normalisation by a baseline run as a user runs
the tool (a subprocess); the paper's released checkpoint format (converted
first), the help of every option and the one-line errors for expected
mistakes from its main() in-process (conftest's run_tool_here)."""
import copy
import json
import re
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

OPTIONS = {
    'config', 'checkpoint', '-h', '--imagenet-c', '--corrupt-from',
    '--clean', '--cache', '--imagenet-p', '--perturb-from', '--corruptions',
    '--severities', '--perturbations', '--difficulty', '--baseline',
    '--crop-size', '--batch-size', '--seed', '--device', '--work-dir',
    '--debug'
}


def test_every_option_has_a_help_text(run_tool_here):
    done = run_tool_here('robustness.py', '--help')
    entries, current = {}, None
    for line in done.stdout.splitlines():
        if re.match(r'  \S', line):  # '  --opt ARG   help' starts an entry
            parts = re.split(r'\s{2,}', line.strip(), maxsplit=1)
            current = parts[0].split(',')[0].split()[0]
            entries[current] = parts[1] if len(parts) > 1 else ''
        elif current and re.match(r'\s{4,}\S', line):  # help continues
            entries[current] += ' ' + line.strip()
        else:
            current = None
    assert set(entries) == OPTIONS
    assert all(entries.values()), [o for o, t in entries.items() if not t]


@pytest.fixture(scope='module')
def bad_inputs(tmp_path_factory, tiny_classifier, helpers):
    """A garbage checkpoint file (were the model built and loaded before
    the checks, the message would be about it) and data in the released
    layouts: ImageNet-P with gaussian_noise at difficulty 1 only."""
    root = tmp_path_factory.mktemp('bad')
    garbage = root / 'garbage.pth'
    garbage.write_bytes(b'not a checkpoint')
    helpers.write_video(root / 'p' / 'gaussian_noise' / 'n0' / 'a.mp4',
                        helpers.block_frames(0, 3))
    (root / 'val' / 'n0').mkdir(parents=True)
    Image.new('RGB', (8, 8)).save(root / 'val' / 'n0' / 'a.png')
    c_only = root / 'c_only.json'
    c_only.write_text(json.dumps(dict(imagenet_c=dict(errors={}))))
    return dict(root=root, config=tiny_classifier[1], garbage=garbage,
                c_only=c_only)


# name: (arguments after CONFIG CHECKPOINT, parts of the error line, the
# checkpoint when not the garbage file)
CASES = {
    'missing ImageNet-P folder': (
        ['--imagenet-p', '{root}/nowhere'],
        ['ImageNet-P folder not found: {root}/nowhere', '--perturb-from'],
        None),
    'missing noise folder at difficulty 2': (
        ['--imagenet-p', '{root}/p', '--perturbations', 'gaussian_noise',
         '--difficulty', '2'],
        ['not found: {root}/p/gaussian_noise_2',
         'download gaussian_noise at difficulty 2', '--perturbations'],
        None),
    'missing checkpoint': (
        ['--imagenet-p', '{root}/p'],
        ['checkpoint file not found: {root}/no.pth', 'pass the weights'],
        '{root}/no.pth'),
    'unknown perturbation': (
        ['--imagenet-p', '{root}/p', '--perturbations', 'rotation'],
        ["unknown perturbation 'rotation'", 'choose from gaussian_noise,',
         'rotate,'],
        None),
    'unknown corruption': (
        ['--corrupt-from', '{root}/val', '--corruptions', 'fog', 'fogg'],
        ["unknown corruption 'fogg'", 'choose from gaussian_noise,',
         'saturate'],
        None),
    'missing baseline': (
        ['--imagenet-p', '{root}/p', '--perturbations', 'gaussian_noise',
         '--baseline', '{root}/none.json'],
        ['baseline file not found: {root}/none.json',
         'pass its <work-dir>/robustness.json'],
        None),
    'baseline without ImageNet-P': (
        ['--imagenet-p', '{root}/p', '--perturbations', 'gaussian_noise',
         '--baseline', '{root}/c_only.json'],
        ['{root}/c_only.json has no ImageNet-P results',
         'with --imagenet-p or --perturb-from first'],
        None),
}


@pytest.mark.parametrize('case', list(CASES))
def test_user_mistakes_end_with_one_error_line(case, bad_inputs,
                                              run_tool_here):
    args, messages, checkpoint = CASES[case]
    root = bad_inputs['root']
    checkpoint = (checkpoint or str(bad_inputs['garbage'])).format(root=root)
    done = run_tool_here('robustness.py', bad_inputs['config'], checkpoint,
                    *[a.format(root=root) for a in args], check=False)
    assert done.returncode == 2, done.stderr
    assert 'Traceback' not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), done.stderr
    for message in messages:
        assert message.format(root=root) in lines[0]
    assert done.stdout == ''  # nothing was evaluated


def test_tool_normalises_by_a_baseline_run(released_p, tiny_classifier,
                                           helpers, run_tool, tmp_path):
    """Model A's ImageNet-P run at difficulty 2 normalised by the run of a
    baseline B with known FP / T5D: FP and T5D from the reference loops on
    the decoded videos (which also checks that the tool normalises the
    frames with the config's data preprocessor), the ratios and means by
    hand from those."""
    model, config, checkpoint = tiny_classifier
    baseline = dict(difficulty=2, data='released',
                    fp=dict(gaussian_noise=40.0, rotate=25.0),
                    t5d=dict(gaussian_noise=2.5, rotate=0.5))
    (tmp_path / 'b.json').write_text(json.dumps(dict(imagenet_p=baseline)))
    done = run_tool(
        'robustness.py', config, checkpoint, '--imagenet-p', released_p,
        '--perturbations', 'gaussian_noise', 'rotate', '--difficulty', '2',
        '--baseline', tmp_path / 'b.json', '--batch-size', '16',
        '--work-dir', tmp_path / 'out')
    report = json.loads((tmp_path / 'out' / 'robustness.json').read_text())
    result = report['imagenet_p']

    def expected(folder, noise):
        scores = [helpers.scores(model, helpers.decode(path))
                  for path in helpers.video_files(released_p, folder)]
        return helpers.reference(scores, noise, 2)

    fp_n, t5d_n = expected('gaussian_noise_2', True)
    fp_r, t5d_r = expected('rotate', False)
    assert result['fp'] == pytest.approx(
        dict(gaussian_noise=100 * fp_n, rotate=100 * fp_r), abs=1e-9)
    assert result['t5d'] == pytest.approx(
        dict(gaussian_noise=t5d_n, rotate=t5d_r), abs=1e-9)
    flip_rate = dict(gaussian_noise=100 * 100 * fp_n / 40.0,
                     rotate=100 * 100 * fp_r / 25.0)
    t5d_ratio = dict(gaussian_noise=100 * t5d_n / 2.5,
                     rotate=100 * t5d_r / 0.5)
    assert result['flip_rate'] == pytest.approx(flip_rate, rel=1e-12)
    assert result['t5d_ratio'] == pytest.approx(t5d_ratio, rel=1e-12)
    assert result['mfp'] == pytest.approx(
        (flip_rate['gaussian_noise'] + flip_rate['rotate']) / 2, rel=1e-12)
    assert result['mt5d'] == pytest.approx(
        (t5d_ratio['gaussian_noise'] + t5d_ratio['rotate']) / 2, rel=1e-12)
    assert f"mFP: {result['mfp']:.1f}%" in done.stdout
    assert fp_n != fp_r and 0 < fp_r < 1  # numbers that tell cases apart


def released_resnet18(num_classes=10):
    """torchvision ResNet-18 (its own initialisation) with random BN
    statistics and a N(0, 1) classifier: predictions that vary."""
    import torchvision
    torch.manual_seed(3)
    net = torchvision.models.resnet18(num_classes=num_classes)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            elif name.endswith('running_mean'):
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.1)
        net.fc.weight.normal_(0, 1, generator=gen)
    return net.eval()


@pytest.mark.parametrize('legacy', [True, False],
                         ids=['legacy-format', 'zip-format'])
def test_released_checkpoint_is_refused_then_converted(
        legacy, released_p, helpers, run_tool_here, tmp_path):
    """A checkpoint as the paper released it (PyTorch 1.3/1.4: the legacy
    non-zip torch.save format; epoch, arch, a 'module.'-prefixed
    torchvision state_dict, best_acc1 as a tensor, the SGD state) is
    refused as it is, with the conversion to run (the one policy for
    released files); converted by gcp_mm.checkpoint, the tool's numbers are
    the torchvision network's own on the decoded frames."""
    from gcp_mm.checkpoint import (
        CheckpointError,
        build_model,
        convert_released_state_dict,
        read_state_dict,
    )
    from gcp_mm.robustness.evaluate import load_classifier
    net = released_resnet18()
    # the SGD state with momentum buffers, from a step on a copy
    trained = copy.deepcopy(net)
    optimizer = torch.optim.SGD(trained.parameters(), lr=0.1, momentum=0.9,
                                weight_decay=1e-4)
    trained(torch.randn(2, 3, 32, 32)).sum().backward()
    optimizer.step()
    released = tmp_path / 'resnet18_gap.pth.tar'
    state = {'module.' + k: v for k, v in net.state_dict().items()}
    torch.save(dict(epoch=100, arch='resnet18', state_dict=state,
                    best_acc1=torch.tensor(69.8),
                    optimizer=optimizer.state_dict()), released,
               _use_new_zipfile_serialization=not legacy)
    assert zipfile.is_zipfile(released) is not legacy
    config = tmp_path / 'resnet18_gap.py'
    cfg = helpers.model_config(10)
    cfg.dump(str(config))
    with pytest.raises(CheckpointError, match=r'^convert .*resnet18_gap\.'
                       r'pth\.tar with tools/convert_checkpoint\.py first: '
                       r'it looks like a released resnet18 gap file'):
        load_classifier(str(config), str(released))
    path = tmp_path / 'resnet18_gap.pth'
    torch.save(dict(state_dict=convert_released_state_dict(
        read_state_dict(str(released)), build_model(cfg).state_dict(),
        'resnet18')), path)
    run_tool_here('robustness.py', config, path, '--imagenet-p', released_p,
                  '--perturbations', 'rotate', '--work-dir', tmp_path / 'out')
    result = json.loads(
        (tmp_path / 'out' / 'robustness.json').read_text())['imagenet_p']
    scores = []
    mean = np.array([0.485, 0.456, 0.406])
    std = np.array([0.229, 0.224, 0.225])
    for video in helpers.video_files(released_p, 'rotate'):
        x = (np.stack(helpers.decode(video)) / 255 - mean) / std
        with torch.no_grad():
            scores.append(net(torch.from_numpy(
                x.transpose(0, 3, 1, 2)).float()).numpy())
    fp, t5d = helpers.reference(scores, False, 1)
    assert 0 < fp < 1
    assert result['fp']['rotate'] == pytest.approx(100 * fp, abs=1e-9)
    assert result['t5d']['rotate'] == pytest.approx(t5d, abs=1e-9)


def test_checkpoint_of_another_model_is_one_error_line(
        tiny_classifier, released_p, helpers, run_tool_here, tmp_path):
    from gcp_mm.checkpoint import build_model
    # the config has 10 classes
    other = build_model(helpers.model_config(num_classes=7))
    path = tmp_path / 'r18.pth'
    torch.save(dict(state_dict=other.state_dict()), path)
    done = run_tool_here('robustness.py', tiny_classifier[1], path,
                    '--imagenet-p', released_p, '--perturbations', 'rotate',
                    '--work-dir', tmp_path / 'out', check=False)
    assert done.returncode == 2
    assert 'Traceback' not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert 'shape mismatches' in lines[0] and 'head.fc.weight' in lines[0]


def test_device_defaults_to_the_gpu_torch_sees(monkeypatch):
    """--device left out: cuda where torch sees a GPU, cpu otherwise."""
    import importlib.util
    import os
    tool = os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), 'tools', 'robustness.py')
    spec = importlib.util.spec_from_file_location('robustness_tool', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = ['config.py', 'model.pth', '--imagenet-c', 'c/']
    for available, device in ((True, 'cuda'), (False, 'cpu')):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: available)
        assert module.parse_args(argv).device == device
    assert module.parse_args(argv + ['--device', 'cpu']).device == 'cpu'
