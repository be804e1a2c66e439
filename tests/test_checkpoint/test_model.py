"""The one builder of a config's model with its checkpoint
(gcp_mm.checkpoint.model), and the one policy for the paper's released
files at every entry point that loads weights: refused as they are, with
the conversion to run (a real legacy-format file of gcp_mm.testing)."""
import os

import pytest
import torch

from gcp_mm.checkpoint import (
    CheckpointError,
    build_model,
    check_model_loads,
    checkpoint_model_config,
    load_model,
)
from gcp_mm.config_file import read_config
from gcp_mm.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'imagenet', 'resnet18_gcp_lrnorm.py')
FIX = (r'convert .*r18\.pth\.tar with tools/convert_checkpoint\.py first: '
       r'it looks like a released resnet18 gcp file')


def test_the_model_is_built_as_the_runner_builds_it():
    cfg = read_config(CONFIG)
    model = build_model(cfg)
    # the config's top-level data preprocessor (ImageNet mean / std, RGB)
    mean = torch.tensor(cfg.data_preprocessor.mean).view(-1, 1, 1)
    torch.testing.assert_close(model.data_preprocessor.mean, mean)
    assert model.data_preprocessor.to_rgb
    assert type(build_model(cfg, 'neck')).__name__ == \
        'GlobalCovariancePooling'
    # a test-time augmentation wrapper: the model it wraps
    cfg.model = dict(type='AverageClsScoreTTA', module=cfg.model)
    assert checkpoint_model_config(cfg) is cfg.model.module
    assert set(build_model(cfg).state_dict()) == set(model.state_dict())


def test_load_model_loads_every_weight(r18_released):
    net, _, converted = r18_released
    model = load_model(read_config(CONFIG), converted)
    assert not model.training
    torch.testing.assert_close(model.backbone.layer3[0].conv1.weight,
                               net.layer3[0].conv1.weight, rtol=0, atol=0)
    torch.testing.assert_close(model.neck.reduction[0].weight,
                               net.layer_reduce.weight, rtol=0, atol=0)
    check_model_loads(read_config(CONFIG), converted)


def _robustness(path):
    from gcp_mm.robustness.evaluate import load_classifier
    return load_classifier(CONFIG, path)


def _inference(path):
    from gcp_mm.apis import Classifier
    return Classifier(CONFIG, path, 'cpu')


def _export(path):
    from gcp_mm.deploy.classifier import build_classifier
    return build_classifier(read_config(CONFIG), path)


def _test_tool(path):
    from gcp_mm.cli import check_checkpoint_fits
    cfg = read_config(CONFIG)
    cfg.work_dir = None
    check_checkpoint_fits(cfg, path)


def _test_tool_partial(path):
    from gcp_mm.cli import log_checkpoint_fit
    log_checkpoint_fit(read_config(CONFIG), path)


def _training_load_from(path):
    from gcp_mm.cli import check_pretrained_backbone
    cfg = read_config(CONFIG)
    cfg.load_from = path
    check_pretrained_backbone(cfg)


def _builder(path):
    return load_model(read_config(CONFIG), path)


@pytest.mark.parametrize('entry', [_robustness, _inference, _export,
                                   _test_tool, _test_tool_partial,
                                   _training_load_from, _builder])
def test_every_entry_point_refuses_a_released_file_and_takes_it_converted(
        entry, r18_released):
    _, released, converted = r18_released
    with pytest.raises(InputError, match=FIX) as info:
        entry(released)
    assert '\n' not in str(info.value) and len(str(info.value)) < 300
    entry(converted)


def test_unknown_layouts_keep_their_own_error(tmp_path):
    path = tmp_path / 'odd.pth'
    torch.save({'a.weight': torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match='matches none of'):
        check_model_loads(read_config(CONFIG), str(path))
