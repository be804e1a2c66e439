"""LandscapeHook: values against an independent computation, and no side
effects on training, under DDP and with TensorBoard (docs/reference.md
section 5)."""
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
from gcp_mm.testing import classifier_config, free_port

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


def train_tiny(data_root, work_dir, with_hook):
    cfg = classifier_config(data_root,
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


@pytest.mark.default_scope('mmpretrain')
def test_training_is_bit_identical_with_and_without_hook(tmp_path):
    from gcp_mm.demo.data import make_color_texture_dataset
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
    assert [r['step'] for r in records] == [1, 3]  # mmengine's log steps
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



# tools/train.py --launcher pytorch (gloo on CPU) with the hook at every
# iteration, both ranks measuring and rank 0 alone writing: the classifier
# run of tests/test_engine/test_distributed.py


# --- DDP: two gloo processes against a single-process DataParallel-style
# computation (docs/reference.md section 5) ---------------------------------

DDP_BATCH_SIZES = (3, 5)  # unequal local batches: the n_r / N weights matter
DDP_ETAS = (0.0, 0.1, 2.5, 5.0)


def ddp_rank_setup(rank):
    """The float64 model (the same weights on every rank) and the local
    batch of ``rank``."""
    torch.manual_seed(7)
    model = TinyNet().double()
    gen = torch.Generator().manual_seed(100 + rank)
    size = DDP_BATCH_SIZES[rank]
    return model, dict(
        inputs=torch.randn(size, 3, 6, 6, generator=gen,
                           dtype=torch.float64),
        labels=torch.randint(0, 3, (size, ), generator=gen))


def dropout_seed(rank):
    return 1000 + rank


# Run by torchrun in each of 2 processes: the hook on a minimal runner whose
# model is wrapped in DDP, at a measured and at a skipped iteration, then
# measure_landscape directly; every rank dumps what it saw.
DDP_SCRIPT = '''
import gc
import importlib.util
import json
import os
import sys
from types import SimpleNamespace

import torch
import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from gcp_mm.engine import LandscapeHook, measure_landscape

test_file, out_dir = sys.argv[1:3]
spec = importlib.util.spec_from_file_location('landscape_tests', test_file)
tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tests)

torch_dist.init_process_group('gloo')
rank = torch_dist.get_rank()
model, data = tests.ddp_rank_setup(rank)
scalars = []


class Visualizer:

    def add_scalars(self, values, step):
        scalars.append(dict(values, step=step))


runner = SimpleNamespace(
    iter=4, epoch=1, rank=rank, log_dir=out_dir, visualizer=Visualizer(),
    model=MMDistributedDataParallel(module=model),
    optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
etas = list(tests.DDP_ETAS)
hook = LandscapeHook(interval=2, split_module='stem',
                     step_range=(etas[0], etas[-1]), num_steps=len(etas))
hook.step_sizes = etas  # the test's step sizes exactly
torch.manual_seed(tests.dropout_seed(rank))
hook.before_train_iter(runner, 4, data)
runner.iter = 5  # not measured: no collective, no record
hook.before_train_iter(runner, 5, data)
losses, diffs = measure_landscape(model, data, 'stem', etas)
with open(os.path.join(out_dir, f'rank{rank}.json'), 'w') as f:
    json.dump(dict(loss=losses, grad_diff=diffs, scalars=scalars), f)
# DDP's reducer holds the process group: freed while the interpreter is
# still whole, gloo's threads end cleanly (left to interpreter shutdown,
# torch 2.14 aborts now and then: "terminate called without an active
# exception")
del runner
gc.collect()
torch_dist.destroy_process_group()
'''


def dataparallel_reference(etas):
    """What the reference measures with DataParallel over the two local
    batches, written out in one process: per-chunk BN statistics (the stem
    and the body run on each chunk), the loss the mean over the
    concatenated batch, g = dL/dX of the concatenated X, and the norm over
    the whole batch tensor."""
    setups = [ddp_rank_setup(rank) for rank in (0, 1)]
    model = setups[0][0]
    model.train()
    labels = torch.cat([data['labels'] for _, data in setups])
    xs = [model.stem(data['inputs']).detach().requires_grad_()
          for _, data in setups]

    def loss_at(chunks):
        logits = []
        for rank, x in enumerate(chunks):
            torch.manual_seed(dropout_seed(rank))  # that rank's masks
            logits.append(model.body(x))
        return F.cross_entropy(torch.cat(logits), labels)

    g = torch.autograd.grad(loss_at(xs), xs)
    losses, diffs = [], []
    for eta in etas:
        shifted = [(x.detach() + eta * gx).requires_grad_()
                   for x, gx in zip(xs, g)]
        value = loss_at(shifted)
        grad = torch.autograd.grad(value, shifted)
        losses.append(value.item())
        diffs.append(torch.cat([(a - b).flatten()
                                for a, b in zip(grad, g)]).norm().item())
    return losses, diffs


def test_ddp_measures_the_global_batch(tmp_path):
    import subprocess
    import sys
    script = tmp_path / 'ddp_landscape.py'
    script.write_text(DDP_SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [ROOT, os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()), str(script),
         os.path.abspath(__file__), str(tmp_path)],
        capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text())
             for r in (0, 1)]
    record, = [json.loads(line) for line in
               (tmp_path / 'landscape.jsonl').read_text().splitlines()]
    assert record['iter'] == 4 and record['step'] == 5
    assert record['eta'] == list(DDP_ETAS)

    losses, diffs = dataparallel_reference(DDP_ETAS)
    assert record['loss'] == pytest.approx(losses, rel=1e-12)
    assert record['grad_diff'][0] == pytest.approx(0, abs=1e-12)  # eta 0
    assert record['grad_diff'][1:] == pytest.approx(diffs[1:], rel=1e-10)
    # every rank returns the global values; rank 0 alone logs them
    for rank in ranks:
        assert rank['loss'] == pytest.approx(losses, rel=1e-12)
        assert rank['grad_diff'][1:] == pytest.approx(diffs[1:], rel=1e-10)
    assert ranks[1]['scalars'] == []
    scalar, = ranks[0]['scalars']
    assert scalar['step'] == 5
    assert scalar['landscape/loss_max'] == pytest.approx(max(losses))
    assert scalar['landscape/grad_diff_max'] == pytest.approx(max(diffs))


# --- TensorBoard: landscape scalars at the training loss's steps ----------

@pytest.mark.default_scope('mmpretrain')
def test_tensorboard_steps_match_the_training_loss(tmp_path, run_tool_here):
    """tools/train.py --tensorboard (the README's switch); the
    landscape of iteration i is at the step of iteration i's loss: at eta 0
    the measured loss is that training loss (same batch, weights, BN
    statistics and RNG state)."""
    # tensorboard is a requirement (TensorboardVisBackend needs it)
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    from gcp_mm.demo.data import make_color_texture_dataset
    data_root = str(tmp_path / 'data')
    make_color_texture_dataset(data_root, 1, 1, size=32)
    work_dir = tmp_path / 'work'
    cfg = classifier_config(data_root,
                           str(work_dir), size=32, epochs=2)
    cfg.train_dataloader.batch_size = 4  # 4 iterations in all
    cfg.model.head.init_cfg = dict(type='Normal', layer='Linear', std=0.01)
    cfg.custom_hooks = [
        dict(type='LandscapeHook', interval=2, num_steps=3,
             step_range=(0.0, 5.0))
    ]
    cfg.log_processor = dict(window_size=1)  # each iteration's own loss
    cfg.train_cfg.val_interval = 10  # no validation
    cfg_file = str(tmp_path / 'tb.py')
    cfg.dump(cfg_file)
    run_tool_here('train.py', cfg_file, '--log-interval', '1',
                  '--tensorboard')

    events, = work_dir.glob('*/vis_data/events.out.tfevents.*')
    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    loss = {e.step: e.value for e in acc.Scalars('loss')}
    assert sorted(loss) == [1, 2, 3, 4]
    records = [json.loads(line) for line in
               next(work_dir.glob('*/landscape.jsonl')).read_text()
               .splitlines()]
    assert [r['iter'] for r in records] == [0, 2]
    for tag in ('loss_min', 'loss_max', 'grad_diff_min', 'grad_diff_max'):
        steps = [e.step for e in acc.Scalars(f'landscape/{tag}')]
        assert steps == [1, 3], tag
    for record in records:
        assert record['eta'][0] == 0
        assert loss[record['step']] == pytest.approx(record['loss'][0],
                                                     rel=1e-5)
    maxima = {e.step: e.value for e in acc.Scalars('landscape/loss_max')}
    assert maxima == {r['step']: pytest.approx(max(r['loss']), rel=1e-5)
                      for r in records}
