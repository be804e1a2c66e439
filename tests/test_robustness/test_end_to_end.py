"""ImageNet-C on corruptions generated on the fly with the project's GCP
model (ResNet-18 + iSQRT-COV, 8 classes, untrained), through the package
and then through tools/robustness.py on the written cache; the generated
ImageNet-P sequences' shapes."""
import io
import json
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from PIL import Image

from gcp_mm.robustness.evaluate import load_classifier
from gcp_mm.robustness.imagenet_c import evaluate_imagenet_c
from gcp_mm.robustness.metrics import (
    BENCHMARK_CORRUPTIONS,
    TEST_PERTURBATIONS,
    is_noise,
)
from gcp_mm.robustness.perturbations import perturbation_sequence

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def gcp_setup(tmp_path_factory):
    from gcp_mm.demo.data import make_color_texture_dataset
    root = tmp_path_factory.mktemp('robust')
    make_color_texture_dataset(str(root / 'data'), train_per_class=0,
                               val_per_class=1, size=72)
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                       'resnet18_gcp_lrnorm.py'))
    cfg.model.head.num_classes = 8
    cfg.data_preprocessor.num_classes = 8
    cfg_file = str(root / 'tiny.py')
    cfg.dump(cfg_file)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    with torch.no_grad():  # an untrained model whose predictions vary
        model.head.fc.weight.normal_(0, 1.0)
    ckpt = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return root, cfg_file, ckpt


def test_corrupted_on_the_fly_produces_every_number(gcp_setup, run_tool):
    root, cfg_file, ckpt = gcp_setup
    model = load_classifier(cfg_file, ckpt)
    val, cache = str(root / 'data' / 'val'), str(root / 'imagenet_c_cache')
    progress = io.StringIO()
    result = evaluate_imagenet_c(model, BENCHMARK_CORRUPTIONS,
                                 [1, 2, 3, 4, 5], val, crop=64,
                                 cache_root=cache, stream=progress)
    assert list(result['errors']) == list(BENCHMARK_CORRUPTIONS)
    assert all(len(v) == 5 for v in result['errors'].values())
    for key in ('mce', 'relative_mce', 'clean_error'):
        assert np.isfinite(result[key])
    assert set(result['ce']) == set(BENCHMARK_CORRUPTIONS)
    assert '[76/76]' in progress.getvalue()
    # 8 images: every error is a multiple of 1/8
    errors = np.array(list(result['errors'].values()))
    assert np.allclose(errors * 8 / 100, np.round(errors * 8 / 100))
    # the cache holds the released layout, which the tool reads back
    cached = os.path.join(cache, 'fog', '3', 'rg+_gb+_x', '0000.JPEG')
    assert Image.open(cached).size == (64, 64)
    done = run_tool('robustness.py', cfg_file, ckpt, '--imagenet-c', cache,
                    '--clean', val, '--crop-size', '64', '--corruptions',
                    'fog', 'snow', '--work-dir', root / 'c2')
    with open(root / 'c2' / 'robustness.json') as f:
        again = json.load(f)['imagenet_c']
    assert again['errors'] == {c: result['errors'][c]
                               for c in ('fog', 'snow')}
    assert again['clean_error'] == result['clean_error']
    assert 'no mCE: mCE needs all 15' in done.stdout


@pytest.mark.parametrize('name', TEST_PERTURBATIONS)
def test_sequences_have_the_reference_shape(name):
    image = Image.fromarray(
        (np.random.default_rng(0).random((80, 96, 3)) * 255).astype(
            np.uint8))
    frames = perturbation_sequence(image, name, crop=64)
    assert len(frames) == (41 if name == 'translate' else 31)
    assert all(f.shape == (64, 64, 3) and f.dtype == np.uint8
               for f in frames)
    if is_noise(name):  # noise: frame 0 is the clean crop
        assert not np.array_equal(frames[0], frames[1])
        assert np.array_equal(frames[0], perturbation_sequence(
            image, name, difficulty=3, crop=64)[0])
