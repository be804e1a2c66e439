"""The fine-grained configs (configs/finegrained): the iSQRT-COV authors'
fine-tuning recipe (docs/fine_grained.md), preprocessing equal to
torchvision's, the data sets' real on-disk layouts, and fine-tuning on CPU:
ImageNet weights in everything but a new classifier, the classifier at 5x
the learning rate, a few iterations, then the centre crop + mirror
evaluation (mmpretrain's TTA)."""
import copy
import glob
import math
import os

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS
from PIL import Image

import gcp_mm  # noqa: F401
from gcp_mm.cli import (
    apply_tta,
    build_runner,
    configure_training,
)

from . import finegrained_data as fd
from .test_imagenet_configs import simulate_lrs
from .test_preprocessing import PHOTOS

# the tests build Runners in-process (tests/conftest.py)
pytestmark = pytest.mark.default_scope('mmpretrain')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'finegrained')
CONFIGS = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(CONFIG_DIR, '*.py')))
BENCHMARKS = ('cub', 'aircraft', 'cars', 'dtd')
# data set: (mmpretrain class, training split, test split)
DATASETS_ = {
    'cub': ('CUB', 'train', 'test'),
    'aircraft': ('FGVCAircraft', 'trainval', 'test'),
    'cars': ('StanfordCars', 'train', 'test'),
    'dtd': ('DTD', 'trainval', 'test'),
    'custom': ('CustomDataset', 'train', 'val'),
}
# docs/fine_grained.md's preprocessing as torchvision on PIL images (DTD
# and your own data: CUB's)
RESIZE_CROP = {
    'cub': T.Compose([T.Resize(448), T.CenterCrop(448)]),
    'aircraft': T.Compose([T.Resize((512, 512)), T.CenterCrop(448)]),
    'cars': T.Resize((448, 448)),
    'dtd': T.Compose([T.Resize(448), T.CenterCrop(448)]),
    'custom': T.Compose([T.Resize(448), T.CenterCrop(448)]),
}
BASE_LR, CLASSIFIER_LR = 1.2e-3, 6e-3
TOLERANCE = dict(rtol=1e-4, atol=1e-6)  # on softmax scores


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The CPU is shared: one thread runs these tiny models faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def load(name):
    return Config.fromfile(os.path.join(CONFIG_DIR, name + '.py'))


def test_every_benchmark_has_gcp_r50_r101_and_the_gap_baseline():
    expected = {f'{model}_{data}'
                for model in ('resnet50_gcp', 'resnet101_gcp', 'resnet50_gap')
                for data in BENCHMARKS}
    expected |= {'resnet50_gcp_custom', 'resnet50_gap_custom'}
    assert set(CONFIGS) == expected


# ------------------------------------------------------------------ recipe


def num_classes_of(data):
    """The class count of mmpretrain's class for the data set."""
    return len(DATASETS.get(DATASETS_[data][0]).METAINFO['classes'])


@pytest.mark.parametrize('name', CONFIGS)
def test_recipe(name):
    cfg = load(name)
    arch, head, data = name.split('_')
    optim = cfg.optim_wrapper
    assert 'type' not in optim  # tools/train.py adds the NaN guard
    assert (optim.optimizer.type, optim.optimizer.lr, optim.optimizer.momentum,
            optim.optimizer.weight_decay) == ('SGD', BASE_LR, 0.9, 1e-3)
    assert optim.paramwise_cfg == dict(
        custom_keys={'head.fc': dict(lr_mult=5.0)})
    assert cfg.train_dataloader.batch_size == 10
    assert cfg.auto_scale_lr.base_batch_size == 10
    assert cfg.train_cfg.max_epochs == 100
    # the reference's step at epoch 100: constant for the 100 epochs
    lrs = simulate_lrs(cfg, epoch_length=3)
    assert {lr for epoch in lrs for lr in epoch} == {BASE_LR}
    # the data set and its splits
    dataset_type, train_split, test_split = DATASETS_[data]
    for loader, split in (('train_dataloader', train_split),
                          ('val_dataloader', test_split),
                          ('test_dataloader', test_split)):
        dataset = cfg[loader].dataset
        assert dataset.type == dataset_type
        assert dataset.get('split', dataset.get('data_prefix')) == split
    # the zoo's architecture, a new classifier for the data set
    zoo = Config.fromfile(os.path.join(
        ROOT, 'configs', 'imagenet', f'{arch}_{head}_lrnorm.py')).model
    model = copy.deepcopy(cfg.model)
    checkpoint = f'checkpoints/{arch}_{head}.pth'
    assert model.backbone.pop('init_cfg') == dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    if head == 'gcp':
        assert model.neck.pop('init_cfg') == dict(
            type='Pretrained', checkpoint=checkpoint, prefix='neck.')
    assert model.head.init_cfg is None  # nn.Linear's default init
    expected_classes = None if data == 'custom' else num_classes_of(data)
    assert model.head.pop('num_classes') == expected_classes
    zoo.backbone.pop('init_cfg', None)
    zoo.neck.pop('init_cfg', None)
    zoo.head.pop('num_classes')
    assert model == zoo
    assert cfg.tta_model == dict(type='AverageClsScoreTTA')


# ----------------------------------------------------------- preprocessing


def run_pipeline(pipeline, path):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose([TRANSFORMS.build(s) for s in pipeline])(
            dict(img_path=path))


def rgb(inputs):
    return inputs.permute(1, 2, 0).numpy()[..., ::-1]  # CHW BGR -> HWC RGB


def with_flip_prob(pipeline, prob):
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step.type == 'RandomFlip':
            step.prob = prob
    return pipeline


@pytest.mark.parametrize('data', list(DATASETS_))
def test_pipelines_equal_torchvision(data):
    cfg = load(f'resnet50_gcp_{data}')
    assert cfg.val_dataloader.dataset.pipeline == \
        cfg.test_dataloader.dataset.pipeline
    for path in PHOTOS:
        expected = np.asarray(RESIZE_CROP[data](
            Image.open(path).convert('RGB')))
        mirrored = expected[:, ::-1]
        test = run_pipeline(cfg.test_dataloader.dataset.pipeline, path)
        assert np.array_equal(rgb(test['inputs']), expected), path
        train = cfg.train_dataloader.dataset.pipeline
        assert [s.prob for s in train if s.type == 'RandomFlip'] == [0.5]
        for prob, image in ((0., expected), (1., mirrored)):
            out = run_pipeline(with_flip_prob(train, prob), path)
            assert np.array_equal(rgb(out['inputs']), image), (path, prob)
        views = run_pipeline(cfg.tta_pipeline, path)['inputs']
        assert len(views) == 2
        assert np.array_equal(rgb(views[0]), expected), path
        assert np.array_equal(rgb(views[1]), mirrored), path


# ----------------------------------------------------------- data layouts

MAKERS = {'cub': fd.make_cub, 'aircraft': fd.make_aircraft,
          'cars': fd.make_cars, 'dtd': fd.make_dtd,
          'custom': fd.make_class_folders}


@pytest.mark.parametrize('data', list(MAKERS) + ['cars_annos'])
def test_configs_read_the_real_layouts(data, tmp_path):
    maker = fd.make_cars_annos if data == 'cars_annos' else MAKERS[data]
    samples = maker(str(tmp_path))
    cfg = load(f"resnet50_gcp_{data.split('_')[0]}")
    _, train_split, test_split = DATASETS_[data.split('_')[0]]
    for loader, split in (('train_dataloader', train_split),
                          ('test_dataloader', test_split)):
        dataset_cfg = dict(cfg[loader].dataset, data_root=str(tmp_path),
                           pipeline=[])
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
        read = [(info['img_path'], info['gt_label']) for info in map(
            dataset.get_data_info, range(len(dataset)))]
        assert sorted(read) == sorted(samples[split]), (data, split)
        if data != 'custom':  # labels index mmpretrain's full class list
            assert len(dataset.metainfo['classes']) == num_classes_of(
                data.split('_')[0])


# ------------------------------------------------- fine-tuning, end to end


def randomised_zoo_checkpoint(arch_head, path):
    """An ImageNet checkpoint of the zoo model (as tools/convert_checkpoint.py
    writes them), every tensor redrawn so that nothing equals a fresh
    initialisation (BN counters set to 7), at scales that keep the
    activations in range."""
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'imagenet',
                                       f'{arch_head}_lrnorm.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        state = MODELS.build(cfg.model).state_dict()
    gen = torch.Generator().manual_seed(len(arch_head))

    def noise(tensor, std):
        return torch.randn(tensor.shape, generator=gen) * std

    with torch.no_grad():
        for key, tensor in state.items():
            if not tensor.is_floating_point():
                tensor.fill_(7)
            elif key.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            elif tensor.dim() > 1:  # convolutions, the classifier
                fan_in = tensor[0].numel()
                tensor.copy_(noise(tensor, 0.5 * math.sqrt(2 / fan_in)))
            elif key.endswith('weight'):  # BN
                tensor.copy_(1 + noise(tensor, 0.1))
            else:  # BN bias and running mean, classifier bias
                tensor.copy_(noise(tensor, 0.1))
    torch.save(dict(state_dict=state, meta=dict(arch=arch_head)), path)


@pytest.fixture(scope='module')
def imagenet_checkpoint(tmp_path_factory):
    """arch_head ('resnet50_gcp', ...) -> path, written once."""
    folder, paths = tmp_path_factory.mktemp('imagenet'), {}

    def get(arch_head):
        if arch_head not in paths:
            paths[arch_head] = str(folder / f'{arch_head}.pth')
            randomised_zoo_checkpoint(arch_head, paths[arch_head])
        return paths[arch_head]

    return get


TINY = {  # two or three classes, four or so training images
    'cub': lambda root: fd.make_cub(root, labels=(3, 198)),
    'aircraft': lambda root: fd.make_aircraft(root, labels=(4, 97)),
    'cars': lambda root: fd.make_cars(root, labels=(2, 190)),
    'dtd': lambda root: fd.make_dtd(root, labels=(5, 40)),
    'custom': lambda root: fd.make_class_folders(
        root, ('heron', 'ibis', 'stork'), train=1, val=1),
}


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    """data set -> (root, samples), written once."""
    made = {}

    def get(data):
        if data not in made:
            root = str(tmp_path_factory.mktemp(data))
            made[data] = root, TINY[data](root)
        return made[data]

    return get


def shrink(pipeline):
    """448 px -> 64 px (512 -> 73): the same steps, CPU-sized."""
    for step in pipeline:
        if step.type == 'ResizeEdge':
            step.scale = step.scale // 7
        elif step.type == 'Resize':
            step.scale = tuple(s // 7 for s in step.scale)
        elif step.type == 'CenterCrop':
            step.crop_size = step.crop_size // 7


def tiny_config(name, data_root, checkpoint, work_dir, num_classes=None):
    cfg = load(name)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0,
                           persistent_workers=False)
        cfg[loader].dataset.data_root = data_root
        shrink(cfg[loader].dataset.pipeline)
    shrink(cfg.tta_pipeline)
    if num_classes is not None:  # the documented change for your own data
        cfg.model.head.num_classes = num_classes
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    if 'init_cfg' in cfg.model.neck:
        cfg.model.neck.init_cfg.checkpoint = checkpoint
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.checkpoint.save_optimizer = False
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return cfg


class Probe(Hook):
    """Records what the Runner trains from (after its weight
    initialisation, before the first step) and what its TTA model
    predicts."""

    def __init__(self):
        self.outputs = []

    def before_train(self, runner):
        model = runner.model
        self.state = {k: v.detach().clone()
                      for k, v in model.state_dict().items()}
        self.groups = param_groups(runner)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self.outputs.extend(outputs)


def param_groups(runner):
    """(parameter names, lr, weight decay, momentum) per param group."""
    names = {id(p): n for n, p in runner.model.named_parameters()}
    return [([names[id(p)] for p in group['params']], group['lr'],
             group['weight_decay'], group['momentum'])
            for group in runner.optim_wrapper.optimizer.param_groups]


def assert_new_linear(weight, bias):
    """nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both."""
    bound = 1 / math.sqrt(weight.shape[1])
    assert weight.abs().max() <= bound and bias.abs().max() <= bound
    assert weight.std().item() == pytest.approx(bound / math.sqrt(3),
                                                rel=0.05)
    assert weight.mean().abs() < 0.05 * bound


def load_model(cfg, checkpoint):
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    load_checkpoint(model, checkpoint, strict=True)
    return model.eval()


def batches_of_test_set(cfg, model):
    """(image paths, normalised inputs) of the config's test set, in the
    order and batches of its test loader."""
    loader = cfg.test_dataloader
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(loader.dataset)
    paths = [dataset.get_data_info(i)['img_path']
             for i in range(len(dataset))]
    for start in range(0, len(paths), loader.batch_size):
        batch = paths[start:start + loader.batch_size]
        inputs = [run_pipeline(loader.dataset.pipeline, p)['inputs']
                  for p in batch]
        yield batch, model.data_preprocessor(dict(inputs=inputs),
                                             False)['inputs']


def decisive(cfg, checkpoint, path):
    """The model of ``checkpoint`` with its classifier scaled so that its
    largest logit on the test images lies 2 above their mean, saved to
    ``path``. A model trained for a few iterations scores almost
    uniformly (or, with a few large logits, saturates), and the scores of
    an image and of its mirror would differ by less than any tolerance;
    scaled, they differ measurably."""
    model = load_model(cfg, checkpoint)
    with torch.no_grad():
        logits = torch.cat([model(x, mode='tensor')
                            for _, x in batches_of_test_set(cfg, model)])
        spread = logits.max(1).values - logits.mean(1)
        scale = 2 / spread.max()
        model.head.fc.weight.mul_(scale)
        model.head.fc.bias.mul_(scale)
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def independent_tta_scores(cfg, checkpoint):
    """Scores of a checkpoint on the config's test set, as the reference
    evaluates: softmax of the centre crop and of its horizontal mirror,
    averaged; and the centre crop's alone (from the same forward passes);
    two {image path: scores}. Batched as the test loader batches."""
    model = load_model(cfg, checkpoint)
    scores, centre = {}, {}
    with torch.no_grad():
        for paths, x in batches_of_test_set(cfg, model):
            outputs = [model(x, mode='tensor').softmax(1),
                       model(torch.flip(x, dims=[3]), mode='tensor')
                       .softmax(1)]
            scores.update(zip(paths, (outputs[0] + outputs[1]) / 2))
            centre.update(zip(paths, outputs[0]))
    return scores, centre


# Each data set fine-tuned once, the three models alternating (ResNet-101,
# the slowest, on the smallest tiny data set). The other combinations are
# not trained: a config differs from these only by which model and data
# bases it inherits, and test_recipe and test_pipelines_equal_torchvision
# check those per config and per data set.
FINETUNED = ('resnet50_gcp_cub', 'resnet50_gap_aircraft', 'resnet50_gcp_cars',
             'resnet101_gcp_dtd', 'resnet50_gap_custom')


def test_the_finetuned_sample_covers_every_data_set_and_model():
    assert set(FINETUNED) <= set(CONFIGS)
    assert {n.rsplit('_', 1)[1] for n in FINETUNED} == set(DATASETS_)
    assert {n.rsplit('_', 1)[0] for n in FINETUNED} == {
        n.rsplit('_', 1)[0] for n in CONFIGS}


@pytest.mark.parametrize('name', FINETUNED)
def test_finetune_a_few_iterations_then_evaluate_with_tta(
        name, imagenet_checkpoint, tiny_data, tmp_path):
    """A few iterations of the recipe, then mmpretrain's TTA against an
    independent centre crop + mirror: one config per data set (FINETUNED
    says why not all fourteen)."""
    arch, head, data = name.split('_')
    checkpoint = imagenet_checkpoint(f'{arch}_{head}')
    root, samples = tiny_data(data)
    cfg = tiny_config(name, root, checkpoint, tmp_path / 'work',
                      num_classes=3 if data == 'custom' else None)
    test_cfg = copy.deepcopy(cfg)
    runner = build_runner(cfg, ['train_dataloader', 'val_dataloader'])
    probe = Probe()
    runner.register_hook(probe)
    runner.train()

    # everything but the classifier starts from the ImageNet checkpoint
    imagenet = torch.load(checkpoint, weights_only=True)['state_dict']
    start = probe.state
    pretrained = [k for k in imagenet if not k.startswith('head.')]
    assert sorted(k for k in start if not k.startswith('head.')) == \
        sorted(pretrained)
    for key in pretrained:
        assert torch.equal(start[key], imagenet[key]), key
    # ... and the classifier is a new nn.Linear
    weight, bias = start['head.fc.weight'], start['head.fc.bias']
    num_classes = cfg.model.head.num_classes
    assert weight.shape == (num_classes, imagenet['head.fc.weight'].shape[1])
    assert_new_linear(weight, bias)

    # the learning rate of each parameter: 5x for the classifier
    seen = []
    for names, lr, decay, momentum in probe.groups:
        for param in names:
            expected = CLASSIFIER_LR if param.startswith('head.fc.') \
                else BASE_LR
            assert lr == pytest.approx(expected, rel=1e-12, abs=0), param
            assert (decay, momentum) == (1e-3, 0.9), param
        seen += names
    assert sorted(seen) == sorted(
        n for n, _ in runner.model.named_parameters())
    assert {n for n in seen if n.startswith('head.')} == {
        'head.fc.weight', 'head.fc.bias'}
    assert param_groups(runner) == probe.groups  # constant schedule

    # a few iterations ran and changed the weights, then the validation
    train_split = DATASETS_[data][1]
    assert runner.iter == math.ceil(len(samples[train_split]) / 2) >= 2
    assert not torch.equal(runner.model.state_dict()['head.fc.weight'],
                           weight)
    assert 'val/accuracy/top1' in runner.message_hub.log_scalars

    # the final evaluation: centre crop + mirror through mmpretrain's TTA
    trained = decisive(test_cfg, str(tmp_path / 'work' / 'epoch_1.pth'),
                       str(tmp_path / 'trained.pth'))
    reference, centre = independent_tta_scores(test_cfg, trained)
    # the mirror matters: the centre crop's scores would fail the check
    assert not any(torch.allclose(centre[p], reference[p], **TOLERANCE)
                   for p in reference)
    apply_tta(test_cfg)  # as tools/test.py --tta
    test_cfg.load_from = trained
    tta_runner = build_runner(test_cfg, ['test_dataloader'],
                              checkpoint=trained)
    tta_probe = Probe()
    tta_runner.register_hook(tta_probe)
    metrics = tta_runner.test()
    assert len(tta_probe.outputs) == len(reference)
    labels = dict(samples[DATASETS_[data][2]])
    correct = 0
    for sample in tta_probe.outputs:
        expected = reference[sample.img_path]
        torch.testing.assert_close(sample.pred_score, expected, **TOLERANCE)
        correct += int(expected.argmax()) == labels[sample.img_path]
    assert metrics['accuracy/top1'] == pytest.approx(
        100 * correct / len(reference))


@pytest.mark.parametrize('name', ['resnet50_gcp_custom',
                                  'resnet50_gap_custom'])
def test_classifier_is_new_even_when_its_shape_matches(
        name, imagenet_checkpoint, tmp_path):
    """1000 classes: the ImageNet classifier would fit, and is still not
    loaded (mmengine's partial loading would take it)."""
    arch, head, _ = name.split('_')
    checkpoint = imagenet_checkpoint(f'{arch}_{head}')
    cfg = tiny_config(name, str(tmp_path), checkpoint, tmp_path,
                      num_classes=1000)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    imagenet = torch.load(checkpoint, weights_only=True)['state_dict']
    state = model.state_dict()
    assert state['head.fc.weight'].shape == imagenet['head.fc.weight'].shape
    assert not torch.equal(state['head.fc.weight'],
                           imagenet['head.fc.weight'])
    assert_new_linear(state['head.fc.weight'], state['head.fc.bias'])
    for key in imagenet:
        if not key.startswith('head.'):
            assert torch.equal(state[key], imagenet[key]), key


def test_auto_scale_lr_scales_both_rates(imagenet_checkpoint, tiny_data,
                                         tmp_path):
    root, _ = tiny_data('custom')
    cfg = tiny_config('resnet50_gap_custom', root,
                      imagenet_checkpoint('resnet50_gap'), tmp_path,
                      num_classes=3)
    configure_training(cfg, auto_scale_lr=True)  # tools/train.py's switch
    runner = build_runner(cfg, ['train_dataloader'])
    optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.optim_wrapper = optim_wrapper
    runner.scale_lr(optim_wrapper, runner.auto_scale_lr)
    lrs = {name: lr for names, lr, _, _ in param_groups(runner)
           for name in names}
    # batch 2 on one process instead of the reference's 10
    assert lrs.pop('head.fc.weight') == pytest.approx(CLASSIFIER_LR / 5)
    assert lrs.pop('head.fc.bias') == pytest.approx(CLASSIFIER_LR / 5)
    assert len(lrs) > 100
    assert all(lr == pytest.approx(BASE_LR / 5) for lr in lrs.values())
