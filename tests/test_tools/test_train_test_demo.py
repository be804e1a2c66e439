"""tools/train.py, tools/test.py and the README demo, end to end on the
generated colour-texture data set (tiny sizes)."""
import importlib
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def load_tool(name):
    return importlib.import_module(f'tools.{name}')


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    from gcp_mm.datasets import make_color_texture_dataset
    root = str(tmp_path_factory.mktemp('textures'))
    counts = make_color_texture_dataset(root, train_per_class=2,
                                        val_per_class=1, size=32)
    assert counts == {'train': 16, 'val': 8}
    return root


def test_dataset_is_deterministic_and_in_custom_dataset_layout(tmp_path):
    from mmpretrain.datasets import CustomDataset

    from gcp_mm.datasets import CLASS_NAMES, make_color_texture_dataset
    for run in ('a', 'b'):
        make_color_texture_dataset(str(tmp_path / run), 1, 1, size=16,
                                   seed=3)
    for cls in CLASS_NAMES:
        first = (tmp_path / 'a' / 'train' / cls / '0000.png').read_bytes()
        assert first == (tmp_path / 'b' / 'train' / cls /
                         '0000.png').read_bytes()
    dataset = CustomDataset(data_root=str(tmp_path / 'a'),
                            data_prefix='val', pipeline=[])
    assert dataset.CLASSES == CLASS_NAMES and len(dataset) == 8


def test_classes_share_first_order_statistics():
    import numpy as np

    from gcp_mm.datasets.color_texture import render_texture
    rng = np.random.default_rng(0)
    means = []
    for cls in range(8):
        images = np.stack([render_texture(rng, cls, 16) for _ in range(400)])
        means.append(images.reshape(-1, 3).mean(0))
    # same mean colour (128) for every class, within sampling noise (the
    # per-image colour shift has std 17 -> 0.9 for the mean of 400 images)
    assert np.abs(np.array(means) - 128).max() < 4


def test_train_then_test_on_generated_data(tiny_data, tmp_path, capsys):
    train, test, demo = (load_tool(n) for n in ('train', 'test', 'demo'))
    cfg = demo.demo_config(demo.CONFIG.format(head='gcp'), tiny_data,
                           str(tmp_path / 'run'), size=32, epochs=1)
    cfg.train_dataloader.batch_size = 8
    cfg_file = str(tmp_path / 'tiny_gcp.py')
    cfg.dump(cfg_file)
    work_dir = str(tmp_path / 'work')
    train.main([cfg_file, '--work-dir', work_dir, '--log-interval', '1'])
    checkpoint = os.path.join(work_dir, 'epoch_1.pth')
    assert os.path.isfile(checkpoint)
    out = str(tmp_path / 'metrics.json')
    metrics = test.main([cfg_file, checkpoint, '--out', out])
    printed = capsys.readouterr().out
    assert 'top-1:' in printed and 'top-5:' in printed
    with open(out) as f:
        saved = json.load(f)
    assert set(saved) >= {'accuracy/top1', 'accuracy/top5'}
    assert 0 <= metrics['accuracy/top1'] <= 100


def test_test_tool_names_a_missing_checkpoint(tiny_data, tmp_path):
    from gcp_mm.checkpoint import CheckpointError
    test = load_tool('test')
    with pytest.raises(CheckpointError, match='not found: .*nowhere.pth'):
        test.main([os.path.join(ROOT, 'configs', 'imagenet',
                                'resnet18_gcp_lrfast.py'),
                   str(tmp_path / 'nowhere.pth')])


def test_demo_runs_end_to_end(tiny_data, tmp_path, capsys):
    demo = load_tool('demo')
    results = demo.main([
        '--epochs', '1', '--size', '32', '--train-per-class', '2',
        '--val-per-class', '1', '--work-dir', str(tmp_path), '--det-epochs',
        '1', '--det-size', '64', '--det-train', '4', '--det-val', '2',
        '--landscape-interval', '1', '--landscape-steps', '2'
    ])
    assert set(results) == {'gap', 'gcp', 'faster_rcnn_gcpm'}
    printed = capsys.readouterr().out
    assert 'GAP: top-1' in printed and 'GCP: top-1' in printed
    assert 'bbox AP' in printed
    for png in ('val_top1.png', 'landscape.png'):
        assert (tmp_path / png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_converted_and_trained_checkpoints_load_without_key_warnings(
        tiny_data, tmp_path):
    """tools/test.py on the zoo config with a converted released file and
    with one of our training checkpoints: no missing/unexpected keys."""
    from unittest import mock

    from mmengine.config import Config
    from test_checkpoint import CONFIG_DIR, reference_net, save_released

    from gcp_mm.checkpoint import convert_released_checkpoint
    test, demo = load_tool('test'), load_tool('demo')
    net = reference_net('resnet18', 'gcp')
    released = tmp_path / 'r18.pth.tar'
    save_released(net, released, 'resnet18')
    converted = str(tmp_path / 'r18_gcp.pth')
    convert_released_checkpoint(str(released), converted, CONFIG_DIR)

    cfg = demo.demo_config(demo.CONFIG.format(head='gcp'), tiny_data,
                           str(tmp_path / 'w'), size=32, epochs=1)
    cfg.model.head.num_classes = 1000  # the released classifier
    cfg.data_preprocessor.num_classes = 1000
    cfg_file = str(tmp_path / 'r18.py')
    cfg.dump(cfg_file)
    train = load_tool('train')
    train.main([cfg_file, '--work-dir', str(tmp_path / 'train')])
    trained = str(tmp_path / 'train' / 'epoch_1.pth')
    for checkpoint in (converted, trained):
        with mock.patch('mmengine.runner.checkpoint.print_log') as log:
            metrics = test.main([cfg_file, checkpoint, '--work-dir',
                                 str(tmp_path / 'test')])
        messages = ' '.join(str(c.args[0]) for c in log.call_args_list)
        assert 'unexpected key' not in messages
        assert 'missing keys' not in messages
        assert 'accuracy/top1' in metrics
    assert Config.fromfile(cfg_file).model.head.in_channels == 32896
