"""tools/test_robustness.py end to end on a tiny generated image set with a
small model: on-the-fly ImageNet-C and generated ImageNet-P sequences."""
import importlib
import json
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from PIL import Image

from gcp_mm.robustness.metrics import BENCHMARK_CORRUPTIONS
from gcp_mm.robustness.perturbations import (
    PERTURBATIONS,
    perturbation_sequence,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def load_tool():
    return importlib.import_module('tools.test_robustness')


@pytest.fixture(scope='module')
def tiny_setup(tmp_path_factory):
    from gcp_mm.datasets import make_color_texture_dataset
    root = tmp_path_factory.mktemp('robust')
    make_color_texture_dataset(str(root / 'data'), train_per_class=1,
                               val_per_class=1, size=72)
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                       'resnet18_gcp_lrnorm.py'))
    cfg.model.head.num_classes = 8
    cfg_file = str(root / 'tiny.py')
    cfg.dump(cfg_file)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # an untrained model whose predictions vary
        model.head.fc.weight.normal_(0, 1.0)
    ckpt = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return root, cfg_file, ckpt


def test_corrupted_on_the_fly_produces_every_number(tiny_setup, capsys):
    root, cfg_file, ckpt = tiny_setup
    tool = load_tool()
    cache = str(root / 'imagenet_c_cache')
    report = tool.main([cfg_file, ckpt, '--corrupt-from',
                        str(root / 'data' / 'val'), '--crop-size', '64',
                        '--cache', cache, '--work-dir', str(root / 'c')])
    result = report['imagenet_c']
    assert list(result['errors']) == list(BENCHMARK_CORRUPTIONS)
    assert all(len(v) == 5 for v in result['errors'].values())
    for key in ('mce', 'relative_mce', 'clean_error'):
        assert np.isfinite(result[key])
    assert set(result['ce']) == set(BENCHMARK_CORRUPTIONS)
    printed = capsys.readouterr().out
    assert 'mCE:' in printed and '[76/76]' in printed
    # the cache holds the released layout and is what --imagenet-c reads
    cached = os.path.join(cache, 'fog', '3', 'rg+_gb+_x', '0000.JPEG')
    assert Image.open(cached).size == (64, 64)
    again = tool.main([cfg_file, ckpt, '--imagenet-c', cache, '--clean',
                       str(root / 'data' / 'val'), '--crop-size', '64',
                       '--corruptions', 'fog', 'snow', '--work-dir',
                       str(root / 'c2')])
    assert again['imagenet_c']['errors']['fog'] == result['errors']['fog']
    with open(root / 'c' / 'robustness.json') as f:
        assert json.load(f)['imagenet_c']['mce'] == result['mce']


def test_generated_sequences_produce_every_number(tiny_setup):
    root, cfg_file, ckpt = tiny_setup
    tool = load_tool()
    val = str(root / 'data' / 'val')
    base = tool.main([cfg_file, ckpt, '--perturb-from', val, '--crop-size',
                      '64', '--work-dir', str(root / 'p_base')])
    report = tool.main([
        cfg_file, ckpt, '--perturb-from', val, '--crop-size', '64',
        '--baseline', str(root / 'p_base' / 'robustness.json'),
        '--work-dir', str(root / 'p')
    ])['imagenet_p']
    assert set(report['fp']) == set(PERTURBATIONS)
    # the same model against itself: every ratio is 100
    assert report['mfp'] == pytest.approx(100.0)
    assert report['mt5d'] == pytest.approx(100.0)
    assert all(0 <= v <= 100 for v in report['fp'].values())
    assert base['imagenet_p']['mean_t5d'] == report['mean_t5d']


def test_zero_baseline_is_refused(tiny_setup, tmp_path):
    root, cfg_file, ckpt = tiny_setup
    baseline = tmp_path / 'base.json'
    baseline.write_text(json.dumps(dict(imagenet_p=dict(
        fp=dict(rotate=0.0), t5d=dict(rotate=0.0)))))
    with pytest.raises(ValueError, match='never flips'):
        load_tool().main([
            cfg_file, ckpt, '--perturb-from', str(root / 'data' / 'val'),
            '--crop-size', '64', '--perturbations', 'rotate', '--baseline',
            str(baseline), '--work-dir', str(tmp_path / 'out')
        ])


@pytest.mark.parametrize('name', list(PERTURBATIONS))
def test_sequences_have_the_reference_shape(name):
    image = Image.fromarray(
        (np.random.default_rng(0).random((80, 96, 3)) * 255).astype(
            np.uint8))
    frames = perturbation_sequence(image, name, crop=64)
    assert len(frames) == (41 if name == 'translate' else 31)
    assert all(f.shape == (64, 64, 3) and f.dtype == np.uint8
               for f in frames)
    if PERTURBATIONS[name]:  # noise: frame 0 is the clean crop
        assert not np.array_equal(frames[0], frames[1])


def test_reads_imagenet_p_videos(tmp_path):
    import cv2

    from gcp_mm.robustness.evaluate import imagenet_p_videos
    folder = tmp_path / 'rotate' / 'n01440764'
    folder.mkdir(parents=True)
    writer = cv2.VideoWriter(str(folder / 'a.mp4'),
                             cv2.VideoWriter_fourcc(*'mp4v'), 10, (32, 32))
    for i in range(31):
        writer.write(np.full((32, 32, 3), i * 8, np.uint8))
    writer.release()
    videos = list(imagenet_p_videos(str(tmp_path), 'rotate'))
    assert len(videos) == 1 and len(videos[0]) == 31
    assert videos[0][0].shape == (32, 32, 3)
    with pytest.raises(FileNotFoundError, match='tilt'):
        list(imagenet_p_videos(str(tmp_path), 'tilt'))
