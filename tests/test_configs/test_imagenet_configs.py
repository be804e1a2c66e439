"""Every ImageNet config builds the reference architecture and its learning
rate follows the docs/reference.md section 3 formula at every epoch or
iteration."""
import copy
import functools
import glob
import math
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

import gcp_mm  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'imagenet')
CONFIGS = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(CONFIG_DIR, '*.py')))


@functools.lru_cache(maxsize=None)
def _read(name):
    return Config.fromfile(os.path.join(CONFIG_DIR, name + '.py'))


def load(name):
    """The config (a copy: the tests may edit it), read from its file once
    per session (each read resolves the mmpretrain base files)."""
    return copy.deepcopy(_read(name))


def test_the_zoo_is_complete():
    expected = set()
    for arch in ('resnet18', 'resnet34', 'resnet50', 'resnet101',
                 'mobilenet_v2', 'shufflenet_v2'):
        heads = ['gap', 'gcp']
        if arch in ('resnet50', 'mobilenet_v2'):
            heads.append('gcp128')
        for head in heads:
            for sched in ('lrnorm', 'lrfast', 'lradju'):
                expected.add(f'{arch}_{head}_{sched}')
    assert set(CONFIGS) == expected


# ------------------------------------------------------------ architectures


def reference_lr(name, epoch, step=None, total_steps=None):
    """docs/reference.md section 3, written out independently."""
    sched = name.rsplit('_', 1)[1]
    if name.startswith('resnet'):
        return {
            'lrnorm': 0.1 * 0.1**math.floor(epoch / 30),
            'lrfast': 0.1 * (1 - (epoch - 1) / 52)**11,
            'lradju': 0.1 * (1 - (epoch - 1) / 49)**2,
        }[sched]
    if name.startswith('mobilenet_v2'):
        if sched == 'lrnorm':
            return 0.045 * 0.98**epoch
        if sched == 'lrfast':
            return 0.06 * 0.92**epoch
        for start, end, lr_start, lr_end in ((0, 50, 0.06, 0.01),
                                             (50, 100, 0.01, 0.001),
                                             (100, 150, 0.001, 1e-5)):
            if epoch <= end:
                return lr_start + (lr_end - lr_start) * (epoch - start) / (
                    end - start)
        return 1e-5
    return 0.5 * (1 - step / total_steps)


RECIPES = {
    # prefix: (epochs per schedule, total batch, weight decay)
    'resnet': (dict(lrnorm=100, lrfast=30, lradju=50),
               dict(lrnorm=256, lrfast=256, lradju=256), 1e-4),
    'mobilenet_v2': (dict(lrnorm=400, lrfast=100, lradju=150),
                     dict(lrnorm=96, lrfast=96, lradju=192), 4e-5),
    'shufflenet_v2': (dict(lrnorm=240, lrfast=60, lradju=100),
                      dict(lrnorm=1024, lrfast=1024, lradju=1024), 4e-5),
}


def recipe(name):
    sched = name.rsplit('_', 1)[1]
    for prefix, (epochs, batch, wd) in RECIPES.items():
        if name.startswith(prefix):
            return epochs[sched], batch[sched], wd
    raise KeyError(name)


def simulate_lrs(cfg, epoch_length):
    """Step the configured schedulers as mmengine's Runner does: by-epoch
    schedulers after each epoch, iteration-based ones after each iteration.
    Returns lrs[epoch][iteration]."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
    wrapper = OptimWrapper(optimizer)
    schedulers = []
    scheduler_cfgs = cfg.param_scheduler
    if isinstance(scheduler_cfgs, dict):
        scheduler_cfgs = [scheduler_cfgs]
    for sched_cfg in copy.deepcopy(scheduler_cfgs):
        sched_cfg.pop('_scope_', None)  # added by mmpretrain:: bases
        convert = sched_cfg.pop('convert_to_iter_based', False)
        cls = PARAM_SCHEDULERS.get(sched_cfg.pop('type'))
        if convert:
            schedulers.append(
                cls.build_iter_from_epoch(
                    wrapper, epoch_length=epoch_length, **sched_cfg))
        else:
            schedulers.append(cls(wrapper, **sched_cfg))
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        epoch_lrs = []
        for _ in range(epoch_length):
            epoch_lrs.append(optimizer.param_groups[0]['lr'])
            optimizer.step()
            for sched in schedulers:
                if not sched.by_epoch:
                    sched.step()
        for sched in schedulers:
            if sched.by_epoch:
                sched.step()
        lrs.append(epoch_lrs)
    return lrs


# one config per (family, schedule): the model part does not touch the LR
SCHEDULE_CONFIGS = sorted({
    f'{arch}_gcp_{sched}'
    for arch in ('resnet50', 'mobilenet_v2', 'shufflenet_v2')
    for sched in ('lrnorm', 'lrfast', 'lradju')
})


@pytest.mark.parametrize('name', SCHEDULE_CONFIGS)
def test_learning_rate_follows_reference_formula(name):
    cfg = load(name)
    epochs, batch, wd = recipe(name)
    assert cfg.train_cfg.max_epochs == epochs
    epoch_length = 7 if name.startswith('shufflenet') else 1
    lrs = simulate_lrs(cfg, epoch_length)
    total = epochs * epoch_length
    for epoch in range(epochs):
        for it in range(epoch_length):
            step = epoch * epoch_length + it
            expected = reference_lr(name, epoch, step, total)
            assert lrs[epoch][it] == pytest.approx(expected, rel=1e-9), (
                name, epoch, it)


def test_resnet_fast_schedules_start_above_base_lr():
    # docs/reference.md: the reference trained with 0.1233 / 0.1041 at epoch 0
    assert simulate_lrs(load('resnet18_gcp_lrfast'), 1)[0][0] == \
        pytest.approx(0.12331, abs=1e-5)
    assert simulate_lrs(load('resnet18_gcp_lradju'), 1)[0][0] == \
        pytest.approx(0.10412, abs=1e-5)


@pytest.mark.parametrize('name', CONFIGS)
def test_recipe_batch_momentum_weight_decay(name):
    cfg = load(name)
    _, batch, wd = recipe(name)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD' and optimizer.momentum == 0.9
    assert optimizer.weight_decay == wd
    # configs are written for 8 GPUs; auto_scale_lr knows the reference batch
    assert cfg.train_dataloader.batch_size * 8 == batch
    assert cfg.auto_scale_lr.base_batch_size == batch
    assert cfg.val_evaluator.type == 'Accuracy'
    assert tuple(cfg.val_evaluator.topk) == (1, 5)


def test_pipelines_match_reference():
    cfg = load('resnet50_gcp_lrnorm')
    train = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    assert train == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip',
                     'PackInputs']
    assert cfg.train_dataloader.dataset.pipeline[1].scale == 224
    test = cfg.val_dataloader.dataset.pipeline
    assert (test[1].type, test[1].scale, test[1].edge) == ('ResizeEdge',
                                                           256, 'short')
    assert (test[2].type, test[2].crop_size) == ('CenterCrop', 224)
    shuffle = load('shufflenet_v2_gcp_lrfast').train_dataloader.dataset
    jitter = [t for t in shuffle.pipeline if t.type == 'ColorJitter']
    assert len(jitter) == 1 and (jitter[0].brightness, jitter[0].contrast,
                                 jitter[0].saturation) == (0.4, 0.4, 0.4)
