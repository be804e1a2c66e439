"""tools/train.py, tools/test.py and the README demo, end to end on the
generated colour-texture data set (tiny sizes; the demo is run once per
session, tests/conftest.py)."""
import json
import os

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    from gcp_mm.demo.data import make_color_texture_dataset
    root = str(tmp_path_factory.mktemp('textures'))
    counts = make_color_texture_dataset(root, train_per_class=2,
                                        val_per_class=1, size=32)
    assert counts == {'train': 16, 'val': 8}
    return root


def test_train_then_test_on_generated_data(tiny_data, tmp_path, run_tool):
    from gcp_mm.testing import classifier_config
    cfg = classifier_config(tiny_data,
                           str(tmp_path / 'run'), size=32, epochs=1)
    cfg.train_dataloader.batch_size = 8
    cfg_file = str(tmp_path / 'tiny_gcp.py')
    cfg.dump(cfg_file)
    work_dir = str(tmp_path / 'work')
    run_tool('train.py', cfg_file, '--work-dir', work_dir, '--log-interval',
             '1')
    checkpoint = os.path.join(work_dir, 'epoch_1.pth')
    assert os.path.isfile(checkpoint)
    out = str(tmp_path / 'metrics.json')
    printed = run_tool('test.py', cfg_file, checkpoint, '--out', out,
                       '--work-dir', str(tmp_path / 'test')).stdout
    with open(out) as f:
        saved = json.load(f)
    assert set(saved) >= {'accuracy/top1', 'accuracy/top5'}
    # the printed figures are the evaluator's, two decimals
    assert f"top-1: {saved['accuracy/top1']:.2f}" in printed
    assert f"top-5: {saved['accuracy/top5']:.2f}" in printed
    assert saved['accuracy/top1'] == pytest.approx(
        independent_top1(cfg, checkpoint))


def independent_top1(cfg, checkpoint):
    """Top-1 (%) of the checkpoint on the config's test set, computed here
    from the model's logits."""
    import torch
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner, load_checkpoint
    from mmpretrain.registry import MODELS
    # as the Runner does: the config's normalisation goes into the model
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    model.eval()
    load_checkpoint(model, checkpoint, strict=True)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(cfg.test_dataloader)
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            pred = model(data['inputs'], mode='tensor').argmax(1)
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            correct += int((pred == labels).sum())
            total += len(labels)
    return 100 * correct / total


def test_demo_runs_end_to_end(tiny_demo):
    """The demo at a tiny size (the session's run from the installed
    wheel, tests/conftest.py): every part of summary.json, the figures and
    the printed summary."""
    printed, summary = tiny_demo.printed, tiny_demo.summary
    sweep = summary['classification']
    assert set(sweep) == {'gap', 'gcp'}
    from mmengine.config import Config

    from gcp_mm.demo import auto_scaled_lr, demo_config
    base = auto_scaled_lr(Config.fromfile(
        demo_config('resnet18_gcp_lradju_textures.py')))
    assert base == pytest.approx(0.1 * (50 / 49)**2 * 32 / 256)
    for head in ('gap', 'gcp'):
        assert sorted(map(float, sweep[head])) == pytest.approx(
            [base, 4 * base], rel=1e-3)
        for result in sweep[head].values():
            # top-1 over the 8 validation images (one per class)
            correct = result['top1'] * 8 / 100
            assert correct == pytest.approx(round(correct), abs=1e-6)
            assert result['epoch_to_90'] in (None, 1, 2)
        fast = summary['fast_schedule'][head]
        assert fast['lrfast']['epochs'] == 1 and fast['lradju']['epochs'] == 2
        # LRadju's run of the sweep at the head's best rate, and LRfast
        # started there as the schedules start (0.1233 against 0.1041)
        best = max(sweep[head], key=lambda r: (sweep[head][r]['top1'],
                                               -float(r)))
        assert fast['lradju'] == dict(sweep[head][best], epochs=2, lr=best)
        assert float(fast['lrfast']['lr']) == pytest.approx(
            float(best) * 0.1233 / 0.1041, rel=2e-3)
    # the landscape is drawn for each head at its best rate, with chance
    landscape = summary['landscape']
    assert landscape['chance_loss'] == pytest.approx(2.0794415)  # ln 8
    for head, lr in landscape['best'].items():
        assert lr == max(sweep[head], key=lambda r: (sweep[head][r]['top1'],
                                                     -float(r)))
        (measured, ) = (tiny_demo.work_dir /
                        f'resnet18_{head}_lr{lr}').glob('*/landscape.jsonl')
        assert measured.read_text()
    # both heads learn at a shared rate only if both reach 50% there
    shared = landscape['shared']
    assert (tiny_demo.work_dir / 'landscape_shared.png').exists() == (
        shared is not None)
    if shared:
        assert all(sweep[h][shared]['top1'] >= 50 for h in ('gap', 'gcp'))
    assert set(summary['detection']) >= {'bbox_mAP', 'bbox_mAP_50'}
    assert summary['seconds']['total'] >= summary['seconds']['detection']
    assert 'GCP_M ResNet-18' in printed and 'summary:' in printed
    for png in ('val_top1.png', 'lr_sweep.png', 'landscape.png'):
        assert (tiny_demo.work_dir / png).read_bytes()[:8] == \
            b'\x89PNG\r\n\x1a\n'


def same_weights(a, b):
    from gcp_mm.checkpoint import load_checkpoint_file
    a, b = load_checkpoint_file(str(a)), load_checkpoint_file(str(b))
    assert a['state_dict'].keys() == b['state_dict'].keys()
    return all(torch.equal(v, b['state_dict'][k])
               for k, v in a['state_dict'].items())


@pytest.mark.default_scope('mmpretrain')
def test_demo_runs_repeat_exactly(tiny_demo, tmp_path):
    """Every run of the demo is seeded: the GCP classifier run with the
    landscape and the detector, repeated here (in this process, after
    other tests) from the demo's own data and backbone, end with the same
    weights, landscape and numbers as in the demo's run (the README
    promises the same summary from two runs on one machine)."""
    from mmengine.config import Config

    from gcp_mm.analysis import read_val_curve
    from gcp_mm.demo import (
        DemoSettings,
        auto_scaled_lr,
        demo_config,
        detection_demo,
        lr_key,
        train_classifier,
    )
    settings = DemoSettings(**dict(
        tiny_demo.summary['settings'],
        lr_factors=tuple(tiny_demo.summary['settings']['lr_factors'])))
    demo = tiny_demo.work_dir
    # the landscape's run: the config's own rate (factor 1)
    base = auto_scaled_lr(Config.fromfile(
        demo_config('resnet18_gcp_lradju_textures.py')))
    run = demo / f'resnet18_gcp_lr{lr_key(base)}'
    curve = train_classifier('gcp', str(demo / 'data'), str(tmp_path / 'gcp'),
                             settings, base, landscape=True)
    assert curve == read_val_curve(str(run))
    assert same_weights(run / 'epoch_2.pth', tmp_path / 'gcp' / 'epoch_2.pth')
    (landscape, ) = run.glob('*/landscape.jsonl')
    (again, ) = (tmp_path / 'gcp').glob('*/landscape.jsonl')
    assert again.read_text() == landscape.read_text()

    best = tiny_demo.summary['detection']['backbone_lr']
    metrics = detection_demo(str(tmp_path), str(
        demo / f'resnet18_gcp_lr{best}' / 'epoch_2.pth'), settings)
    assert {k.split('/')[-1]: v for k, v in metrics.items()
            if k.startswith('coco/bbox_mAP')} == {
                k: v for k, v in tiny_demo.summary['detection'].items()
                if k != 'backbone_lr'}
    assert same_weights(demo / 'faster_rcnn_gcpm' / 'epoch_1.pth',
                        tmp_path / 'faster_rcnn_gcpm' / 'epoch_1.pth')


def test_epoch_to_90():
    from gcp_mm.analysis import epoch_to
    assert epoch_to([(1, 50.0), (2, 90.0), (3, 95.0)]) == 2
    assert epoch_to([(1, 50.0), (2, 89.9)]) is None


@pytest.mark.default_scope('mmpretrain')
def test_converted_checkpoint_fits_the_test_model(tiny_data, tmp_path,
                                                  run_tool_here):
    """tools/test.py refuses checkpoints that do not fit (every key and
    shape), so a converted released file evaluating at all means it fits
    exactly. (A training checkpoint of ours:
    test_train_then_test_on_generated_data; the released file itself is
    refused: tests/test_tools/test_user_errors.py.)"""
    from gcp_mm.cli import convert_released_checkpoint
    from gcp_mm.testing import classifier_config, reference_net, save_released
    net = reference_net('resnet18', 'gcp')
    released = tmp_path / 'r18.pth.tar'
    save_released(net, released, 'resnet18')
    converted = str(tmp_path / 'r18_gcp.pth')
    convert_released_checkpoint(str(released), converted)

    cfg = classifier_config(tiny_data,
                           str(tmp_path / 'w'), size=32, epochs=1)
    cfg.model.head.num_classes = 1000  # the released classifier
    cfg.data_preprocessor.num_classes = 1000
    cfg_file = str(tmp_path / 'r18.py')
    cfg.dump(cfg_file)
    out = tmp_path / 'metrics.json'
    run_tool_here('test.py', cfg_file, converted, '--work-dir',
                  tmp_path / 'test', '--out', out)
    assert 'accuracy/top1' in json.loads(out.read_text())


def test_demo_seeds_report_mean_and_spread_and_the_first_seeds_landscape(
        tmp_path, run_tool):
    """--seeds 2: every (head, rate) trained with seeds 0 and 1; the
    summary's mean and spread are those of the runs' own validation logs;
    the landscape is recorded on the first seed's runs only. (One rate:
    the choice of each head's best rate is tested on the tiny demo's two,
    test_demo_runs_end_to_end.)"""
    import statistics

    from gcp_mm.analysis import read_val_curve
    work = tmp_path / 'seeds'
    printed = run_tool(
        'demo.py', '--epochs', '1', '--size', '32', '--train-per-class', '2',
        '--val-per-class', '1', '--lr-factors', '4', '--seeds', '2',
        '--work-dir', work, '--det-epochs', '0', '--landscape-interval', '1',
        '--landscape-steps', '2').stdout
    with open(work / 'summary.json') as f:
        summary = json.load(f)
    for head, results in summary['classification'].items():
        (lr, result), = results.items()
        runs = [work / f'resnet18_{head}_lr{lr}{s}' for s in ('', '_seed1')]
        finals = [read_val_curve(str(run))[-1][1] for run in runs]
        assert result['top1_seeds'] == finals
        assert result['top1'] == pytest.approx(statistics.mean(finals))
        assert result['top1_std'] == pytest.approx(statistics.stdev(finals))
        assert [len(list(run.glob('*/landscape.jsonl'))) for run in runs] \
            == [1, 0]
        assert summary['landscape']['best'][head] == lr
    assert 'over 2 seeds' in printed and '+-' in printed
    assert (work / 'landscape.png').read_bytes()[:4] == b'\x89PNG'


def test_demo_refuses_no_seeds(run_tool_here, tmp_path):
    done = run_tool_here('demo.py', '--seeds', '0', '--work-dir', tmp_path,
                    check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'error: --seeds must be at least 1, got 0']
    assert not list(tmp_path.iterdir())  # nothing built
