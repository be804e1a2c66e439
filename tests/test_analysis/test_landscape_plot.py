import json
import math
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config

from gcp_mm.analysis import bands, find_records

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def write_run(run_dir, scale):
    log_dir = run_dir / '20261125_000000'
    log_dir.mkdir(parents=True)
    with open(log_dir / 'landscape.jsonl', 'w') as f:
        for it in (0, 10, 20):
            f.write(json.dumps(dict(
                iter=it, epoch=0, lr=0.1, eta=[0.1, 1.0, 2.0],
                loss=[scale * (it + 1), scale * (it + 3), scale * (it + 2)],
                grad_diff=[scale, 2 * scale, 4 * scale])) + '\n')


def test_bands_are_min_and_max_over_step_sizes(tmp_path):
    write_run(tmp_path / 'gcp', 1.0)
    steps, low, high = bands(find_records(str(tmp_path / 'gcp')), 'loss', 1)
    assert steps.tolist() == [0, 10, 20]
    assert low.tolist() == [1, 11, 21] and high.tolist() == [3, 13, 23]
    _, low, _ = bands(find_records(str(tmp_path / 'gcp')), 'loss', 3)
    np.testing.assert_allclose(low, [(1 + 1 + 11) / 3, 11, (11 + 21 + 21) / 3])


def test_plot_tool_draws_two_runs(tmp_path, run_tool):
    write_run(tmp_path / 'gap', 2.0)
    write_run(tmp_path / 'gcp', 1.0)
    out = tmp_path / 'fig.png'
    done = run_tool('analysis/plot_landscape.py', tmp_path / 'gap',
                    tmp_path / 'gcp', '--out', out, '--labels', 'GAP', 'GCP',
                    '--smooth', '2')
    assert out.read_bytes()[:4] == b'\x89PNG'
    assert 'wrote' in done.stdout


def test_missing_records_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match='LandscapeHook'):
        find_records(str(tmp_path))


@pytest.mark.parametrize('arch,split,interval,step_range', [
    ('resnet18', 'backbone.maxpool', 500, (0.1, 75.0)),
    ('mobilenet_v2', 'backbone.conv1', 1000, (0.045, 1.5)),
])
@pytest.mark.parametrize('head', ['gap', 'gcp'])
def test_landscape_configs_use_paper_settings(arch, split, interval,
                                              step_range, head):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'landscape',
                                       f'{arch}_{head}_landscape.py'))
    hook, = [h for h in cfg.custom_hooks if h.type == 'LandscapeHook']
    assert hook.type == 'LandscapeHook' and hook.split_module == split
    assert hook.interval == interval and hook.num_steps == 50
    assert tuple(hook.step_range) == step_range
    assert cfg.model.neck.type == ('GlobalCovariancePooling'
                                   if head == 'gcp' else
                                   'GlobalAveragePooling')
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    assert split in dict(model.named_modules())


def test_plot_tool_rejects_bad_smoothing(tmp_path, run_tool_here):
    """The tool's main() in this interpreter (the test above runs it as
    users do)."""
    done = run_tool_here('analysis/plot_landscape.py', tmp_path, '--out',
                         tmp_path / 'f.png', '--smooth', '0', check=False)
    assert done.returncode == 2
    assert '--smooth must be >= 1' in done.stderr


def active_dropouts(model):
    return [name for name, module in model.named_modules()
            if isinstance(module, torch.nn.modules.dropout._DropoutNd)
            and module.p > 0]


@pytest.mark.parametrize('head', ['gap', 'gcp'])
def test_mobilenet_v2_landscape_configs_have_no_dropout(head):
    """The reference's MobileNetV2 landscape networks have no dropout
    (docs/reference.md section 5); the ImageNet configs they derive from
    do (Dropout(0.2)), and the landscape configs change only that."""
    from mmpretrain.registry import MODELS

    import gcp_mm  # noqa: F401
    imagenet = Config.fromfile(os.path.join(
        ROOT, 'configs', 'imagenet', f'mobilenet_v2_{head}_lrnorm.py'))
    landscape = Config.fromfile(os.path.join(
        ROOT, 'configs', 'landscape', f'mobilenet_v2_{head}_landscape.py'))
    assert active_dropouts(MODELS.build(imagenet.model)) == ['head.dropout']
    model = MODELS.build(landscape.model)
    assert active_dropouts(model) == []
    imagenet.model.head.dropout_rate = 0.0
    assert landscape.model.to_dict() == imagenet.model.to_dict()


def test_chance_level_is_drawn_on_the_loss_panel_only(tmp_path):
    from gcp_mm.analysis.landscape import figure
    write_run(tmp_path / 'gcp', 1.0)
    fig = figure([str(tmp_path / 'gcp')], ['GCP'],
                 chance_loss=math.log(8))
    loss, grad = fig.axes
    flat = [line for line in loss.get_lines()
            if len(set(line.get_ydata())) == 1]
    assert len(flat) == 1
    assert flat[0].get_ydata()[0] == pytest.approx(2.0794415)
    assert 'chance' in flat[0].get_label()
    assert len(grad.get_lines()) == 2  # the band's edges, no chance line
    assert not any('chance' in line.get_label()
                   for line in grad.get_lines())
    no_chance = figure([str(tmp_path / 'gcp')], ['GCP'])
    assert all(len(set(line.get_ydata())) > 1
               for line in no_chance.axes[0].get_lines())


def test_plot_tool_draws_chance_for_a_class_count(tmp_path, run_tool_here):
    write_run(tmp_path / 'gcp', 1.0)
    out = tmp_path / 'fig.png'
    run_tool_here('analysis/plot_landscape.py', tmp_path / 'gcp', '--out',
                  out, '--num-classes', '8')
    assert out.read_bytes()[:4] == b'\x89PNG'
    done = run_tool_here('analysis/plot_landscape.py', tmp_path / 'gcp',
                         '--out', out, '--num-classes', '1', check=False)
    assert done.returncode == 2
    assert '--num-classes must be >= 2' in done.stderr
