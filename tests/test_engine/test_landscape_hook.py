"""LandscapeHook: values against an independent computation, and no side
effects on training (REFERENCE.md section 5)."""
import importlib
import json
import math
import os

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import Runner

from gcp_mm.engine import LandscapeHook, measure_landscape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class TinyNet(BaseModel):
    """stem (conv + BN + ReLU) | body (conv + BN + ReLU + dropout + fc)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1),
                                  nn.BatchNorm2d(4), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1),
                                  nn.BatchNorm2d(6), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Dropout(0.3), nn.Linear(6, 3))

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.body(self.stem(inputs))
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, labels))
        return logits


def batch():
    gen = torch.Generator().manual_seed(5)
    return dict(inputs=torch.randn(4, 3, 6, 6, generator=gen),
                labels=torch.tensor([0, 1, 2, 1]))


def test_values_match_independent_computation():
    model = TinyNet().double()
    data = {k: v.double() if v.is_floating_point() else v
            for k, v in batch().items()}
    etas = [0.1, 0.5, 2.0]
    torch.manual_seed(3)
    rng = torch.get_rng_state()
    losses, diffs = measure_landscape(model, data, 'stem', etas)

    # independent: the split written out by hand, same dropout masks
    model.train()
    x0 = model.stem(data['inputs']).detach().requires_grad_()

    def loss_at(x):
        torch.set_rng_state(rng)
        return F.cross_entropy(model.body(x), data['labels'])

    g, = torch.autograd.grad(loss_at(x0), x0)
    for eta, loss, diff in zip(etas, losses, diffs):
        x = (x0.detach() + eta * g).requires_grad_()
        value = loss_at(x)
        grad, = torch.autograd.grad(value, x)
        assert loss == pytest.approx(value.item(), rel=1e-12)
        assert diff == pytest.approx((grad - g).norm().item(), rel=1e-10)
    assert diffs[0] < diffs[-1]  # the gradient drifts with the step


def test_measurement_has_no_side_effects():
    model = TinyNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.25)
    torch.manual_seed(11)
    rng = torch.get_rng_state()
    model.eval()
    measure_landscape(model, batch(), 'stem', [0.5, 1.0])
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key  # BN stats included
    assert all(torch.equal(p.grad, torch.full_like(p, 0.25))
               for p in model.parameters())


def test_unknown_split_module_is_named():
    with pytest.raises(ValueError, match="no module named 'backbone.stem'"):
        measure_landscape(TinyNet(), batch(), 'backbone.stem', [1.0])


def test_bad_arguments():
    with pytest.raises(ValueError, match='step_range'):
        LandscapeHook(step_range=(2.0, 1.0))
    with pytest.raises(ValueError, match='interval'):
        LandscapeHook(interval=0)


def load_demo():
    return importlib.import_module('tools.demo')


def train_tiny(data_root, work_dir, with_hook):
    demo = load_demo()
    cfg = demo.demo_config(demo.CONFIG.format(head='gcp'), data_root,
                           work_dir, size=32, epochs=2)
    cfg.train_dataloader.batch_size = 4
    cfg.model.head.init_cfg = dict(type='Normal', layer='Linear', std=0.01)
    if with_hook:
        cfg.custom_hooks = [
            dict(type='LandscapeHook', interval=2, num_steps=3,
                 step_range=(0.1, 5.0))
        ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_training_is_bit_identical_with_and_without_hook(tmp_path):
    from gcp_mm.datasets import make_color_texture_dataset
    data_root = str(tmp_path / 'data')
    make_color_texture_dataset(data_root, 1, 1, size=32)
    plain = train_tiny(data_root, str(tmp_path / 'plain'), False)
    hooked = train_tiny(data_root, str(tmp_path / 'hooked'), True)
    for (name, a), b in zip(plain.model.state_dict().items(),
                            hooked.model.state_dict().values()):
        assert torch.equal(a, b), name
    optim_a = plain.optim_wrapper.optimizer.state_dict()['state']
    optim_b = hooked.optim_wrapper.optimizer.state_dict()['state']
    for key in optim_a:
        assert torch.equal(optim_a[key]['momentum_buffer'],
                           optim_b[key]['momentum_buffer'])
    with open(os.path.join(hooked.log_dir, 'landscape.jsonl')) as f:
        records = [json.loads(line) for line in f]
    assert [r['iter'] for r in records] == [0, 2]  # 4 iterations in all
    assert all(len(r['loss']) == len(r['grad_diff']) == 3 for r in records)
    assert records[0]['eta'] == pytest.approx([0.1, 2.55, 5.0])
    with open(os.path.join(hooked.log_dir, 'vis_data',
                           'scalars.json')) as f:
        scalars = [json.loads(line) for line in f]
    assert any('landscape/loss_max' in s for s in scalars)


def test_measurement_under_cpu_bf16_autocast_on_a_gcp_classifier():
    """AMP: the hook runs inside the optimizer wrapper's autocast."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                       'resnet18_gcp_lrnorm.py'))
    cfg.model.head.num_classes = 4
    model = MODELS.build(cfg.model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    data = dict(inputs=[torch.rand(3, 48, 48) * 255 for _ in range(2)],
                data_samples=[DataSample().set_gt_label(i) for i in (0, 3)])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses, diffs = measure_landscape(model, data, 'backbone.maxpool',
                                          [0.1, 1.0])
    assert all(map(math.isfinite, losses + diffs))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_under_ddp_two_cpu_processes_measure_on_rank_0(tmp_path):
    """tools/train.py --launcher pytorch (gloo on CPU), hook every iteration:
    both ranks train, rank 0 alone writes the measurements."""
    import subprocess
    import sys

    from gcp_mm.datasets import make_color_texture_dataset
    demo = load_demo()
    data_root = str(tmp_path / 'data')
    make_color_texture_dataset(data_root, 2, 1, size=32)
    work_dir = tmp_path / 'work'
    cfg = demo.demo_config(demo.CONFIG.format(head='gcp'), data_root,
                           str(work_dir), size=32, epochs=1)
    cfg.train_dataloader.batch_size = 4  # 16 images / (2 ranks x 4): 2 its
    demo.add_landscape_hook(cfg, interval=1, num_steps=2)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg_file = str(tmp_path / 'ddp.py')
    cfg.dump(cfg_file)
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()),
         os.path.join(ROOT, 'tools', 'train.py'), cfg_file, '--launcher',
         'pytorch'], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    records = list(work_dir.glob('*/landscape.jsonl'))
    assert len(records) == 1
    lines = records[0].read_text().splitlines()
    assert [json.loads(line)['iter'] for line in lines] == [0, 1]
