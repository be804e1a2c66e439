"""NaN never passes silently into the weights; mixed precision on CPU."""
import copy
import os

import pytest
import torch
from mmengine.runner import Runner

from gcp_mm.engine import (
    CPUAmpOptimWrapper,
    FiniteCheckOptimWrapper,
    GuardedAmpOptimWrapper,
    NonFiniteError,
    apply_training_safety,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def linear_step(wrapper, model, x):
    loss = model(x).sum()
    wrapper.update_params(loss)


def test_non_finite_gradient_raises_before_the_step():
    model = torch.nn.Linear(3, 2)
    wrapper = FiniteCheckOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    linear_step(wrapper, model, torch.ones(4, 3))  # a normal step
    before = copy.deepcopy(model.state_dict())
    state = copy.deepcopy(wrapper.optimizer.state_dict())
    with pytest.raises(FloatingPointError, match='weights were not updated'):
        linear_step(wrapper, model, torch.tensor([[1.0, float('nan'), 0]]))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    for key, value in wrapper.optimizer.state_dict()['state'].items():
        assert torch.equal(value['momentum_buffer'],
                           state['state'][key]['momentum_buffer'])


def test_large_finite_gradients_are_not_taken_for_non_finite():
    """1e30 is finite in float32, but a sum of its squares is not."""
    model = torch.nn.Linear(3, 2, bias=False)
    wrapper = FiniteCheckOptimWrapper(torch.optim.SGD(model.parameters(),
                                                      lr=1e-30))
    before = model.weight.detach().clone()
    linear_step(wrapper, model, torch.full((4, 3), 1e30))
    assert torch.isfinite(model.weight).all()
    assert not torch.equal(model.weight, before)  # the step was taken
    with pytest.raises(FloatingPointError):
        linear_step(wrapper, model, torch.full((4, 3), float('inf')))


def gcp_classifier_runner(tmp_path, **optim_overrides):
    from gcp_mm.demo.data import make_color_texture_dataset
    from gcp_mm.testing import classifier_config
    make_color_texture_dataset(str(tmp_path / 'data'), 1, 1, size=32)
    cfg = classifier_config(str(tmp_path / 'data'), str(tmp_path / 'work'),
                           size=32, epochs=1)
    cfg.train_dataloader.batch_size = 4
    apply_training_safety(cfg)  # as tools/train.py does
    cfg.optim_wrapper.update(optim_overrides)
    return Runner.from_cfg(cfg)


def classifier_batch(images):
    from mmpretrain.structures import DataSample
    return dict(inputs=list(images),
                data_samples=[DataSample().set_gt_label(i % 8)
                              for i in range(len(images))])


@pytest.mark.default_scope('mmpretrain')
def test_degenerate_batches_in_gcp_training(tmp_path):
    runner = gcp_classifier_runner(tmp_path)
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    assert type(wrapper).__name__ == 'FiniteCheckOptimWrapper'
    model = runner.model
    model.train()
    # all-zero images: BN turns them into constant maps, whose covariance
    # has zero trace -> zero GCP features (documented), finite training
    zeros = classifier_batch(torch.zeros(4, 3, 32, 32, dtype=torch.uint8))
    losses = model.train_step(zeros, wrapper)
    assert torch.isfinite(losses['loss'])
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # NaN activations: stop before the weights change
    before = copy.deepcopy(model.state_dict())
    nan_images = torch.rand(4, 3, 32, 32) * 255
    nan_images[1, :, 5, 5] = float('nan')
    with pytest.raises(FloatingPointError):
        model.train_step(classifier_batch(nan_images), wrapper)
    for key, value in model.state_dict().items():
        if 'running' not in key and 'num_batches' not in key:
            assert torch.equal(value, before[key]), key


@pytest.mark.default_scope('mmpretrain')
def test_cpu_amp_trains_gcp_classifier_with_finite_losses(tmp_path):
    from gcp_mm.cli import configure_training
    amp_cfg = gcp_classifier_runner(tmp_path).cfg
    configure_training(amp_cfg, amp=True)  # what tools/train.py --amp does
    assert amp_cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    amp_runner = Runner.from_cfg(amp_cfg)
    amp_runner.train()
    losses = amp_runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    assert isinstance(amp_runner.optim_wrapper, CPUAmpOptimWrapper)


@pytest.mark.default_scope('mmdet')
def test_cpu_amp_trains_gcpm_mask_rcnn_with_finite_losses(tmp_path):
    from gcp_mm.demo.data import make_coco_shapes_dataset
    from gcp_mm.testing import detector_config
    make_coco_shapes_dataset(str(tmp_path / 'coco'), 4, 2, size=64)
    cfg = detector_config(
        os.path.join(ROOT, 'configs', 'mask_rcnn_r50_gcpm.py'),
        str(tmp_path / 'coco'), str(tmp_path / 'work'), size=64,
        epochs=1)
    cfg.model.backbone.init_cfg = None
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.val_interval = 2
    cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    assert isinstance(runner.optim_wrapper, CPUAmpOptimWrapper)


class Poisonable(torch.nn.Module):
    """A linear layer after a shift that a test can poison with NaN, as a
    poisoned BN statistic does."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)
        self.register_buffer('shift', torch.zeros(4))

    def forward(self, x):
        return self.linear(x - self.shift)


DEVICES = [
    'cpu',
    pytest.param('cuda', marks=pytest.mark.skipif(
        not torch.cuda.is_available(), reason='needs CUDA')),
]


def amp_steps(wrapper, model, steps, gen):
    for _ in range(steps):
        with wrapper.optim_context(model):
            out = model(torch.randn(8, 4, generator=gen).to(wrapper.device))
            assert out.dtype == torch.float16  # float16 autocast
            loss = out.float().pow(2).mean()
        wrapper.update_params(loss)


def guarded_amp(model, device='cpu', **kwargs):
    return GuardedAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        device=device, **kwargs)


@pytest.mark.parametrize('device', DEVICES)
def test_amp_guard_lets_occasional_skips_pass(device):
    gen = torch.Generator().manual_seed(0)
    model = Poisonable().to(device)
    wrapper = guarded_amp(model, device, max_skipped_steps=5,
                          check_interval=1)
    amp_steps(wrapper, model, 3, gen)
    assert int(wrapper._skipped_in_a_row) == 0
    scale = wrapper.loss_scaler.get_scale()
    before = copy.deepcopy(model.state_dict())
    model.shift[0] = float('nan')  # one bad batch: skipped, not applied
    amp_steps(wrapper, model, 1, gen)
    assert int(wrapper._skipped_in_a_row) == 1
    assert wrapper.loss_scaler.get_scale() == scale / 2
    for key in ('linear.weight', 'linear.bias'):
        assert torch.equal(model.state_dict()[key], before[key])
    model.shift[0] = 0
    amp_steps(wrapper, model, 4, gen)  # training goes on, the count resets
    assert int(wrapper._skipped_in_a_row) == 0
    assert not torch.equal(model.linear.weight, before['linear.weight'])


@pytest.mark.parametrize('device', DEVICES)
def test_amp_guard_stops_at_the_loss_scale_floor(device):
    gen = torch.Generator().manual_seed(0)
    model = Poisonable().to(device)
    wrapper = guarded_amp(model, device, check_interval=4)  # from 65536
    model.shift[1] = float('nan')  # persistent: every step is skipped
    # 2**16 halved 17 times is 0.5 < 1: found at the next check, step 20
    amp_steps(wrapper, model, 19, gen)
    with pytest.raises(NonFiniteError,
                       match='loss scale fell to 0.0625, below 1'):
        amp_steps(wrapper, model, 1, gen)


@pytest.mark.parametrize('device', DEVICES)
def test_amp_guard_stops_after_too_many_skipped_steps(device):
    gen = torch.Generator().manual_seed(0)
    model = Poisonable().to(device)
    wrapper = guarded_amp(model, device, loss_scale=512.0,
                          max_skipped_steps=6, check_interval=3)
    amp_steps(wrapper, model, 2, gen)
    model.shift[2] = float('inf')
    amp_steps(wrapper, model, 4, gen)  # checked at step 6: 4 skipped
    assert wrapper.loss_scaler.get_scale() == 512.0  # static scale
    with pytest.raises(NonFiniteError,
                       match='the last 7 steps were all skipped'):
        amp_steps(wrapper, model, 3, gen)


def test_amp_state_round_trips_with_the_loss_scaler():
    model = Poisonable()
    wrapper = guarded_amp(model, loss_scale=dict(init_scale=256.0))
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 256.0
    other = guarded_amp(Poisonable())
    other.load_state_dict(state)
    assert other.loss_scaler.get_scale() == 256.0
