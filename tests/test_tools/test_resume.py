"""Interrupt and resume with tools/train.py --resume: the same weights as
an uninterrupted run (bit-identical on CPU), on torch 2.14's weights_only
loading."""
import glob

import torch

from gcp_mm.checkpoint import load_checkpoint_file
from gcp_mm.testing import classifier_config


def test_resume_is_bit_identical(tmp_path, run_tool):
    from gcp_mm.datasets import make_color_texture_dataset
    data_root = str(tmp_path / 'data')
    make_color_texture_dataset(data_root, 2, 1, size=32)
    cfg = classifier_config(data_root,
                           str(tmp_path / 'unused'), size=32, epochs=2)
    cfg.train_dataloader.batch_size = 8
    # deterministic data: the test pipeline for training as well (random
    # crops in dataloader workers are not part of a checkpoint)
    cfg.train_dataloader.dataset.pipeline = cfg.val_dataloader.dataset.pipeline
    cfg.default_hooks.checkpoint.interval = 1
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)

    full, parts = str(tmp_path / 'full'), str(tmp_path / 'parts')
    run_tool('train.py', cfg_file, '--work-dir', full)
    run_tool('train.py', cfg_file, '--work-dir', parts, '--cfg-options',
             'train_cfg.max_epochs=1')
    resumed = run_tool('train.py', cfg_file, '--work-dir', parts, '--resume')
    assert f'--resume: resuming from {parts}/epoch_1.pth' in resumed.stdout
    # the last run really resumed (an uninterrupted run from scratch would
    # give the same weights too)
    logs = sorted(glob.glob(f'{parts}/*/*.log'))
    with open(logs[-1]) as f:
        log = f.read()
    assert 'resumed epoch: 1, iter: 2' in log
    assert 'Epoch(train) [1]' not in log and 'Epoch(train) [2]' in log

    a = load_checkpoint_file(f'{full}/epoch_2.pth')
    b = load_checkpoint_file(f'{parts}/epoch_2.pth')
    assert a['meta']['epoch'] == b['meta']['epoch'] == 2
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for key, state in a['optimizer']['state'].items():
        assert torch.equal(state['momentum_buffer'],
                           b['optimizer']['state'][key]['momentum_buffer'])
