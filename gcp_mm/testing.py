"""Independent references for tests and benchmarks (as ``mmdet.testing``).

Nothing here is used by the package itself: these are the plain math of
docs/reference.md section 1 and the paper's networks built from torchvision,
initialised as the reference code does (section 2), and a writer of files in
the format its released checkpoints have (legacy ``torch.save`` as PyTorch
1.3/1.4 wrote it, with an SGD optimizer state, on CUDA devices).
"""
import contextlib
import itertools
import math
import os
import shutil
from typing import TYPE_CHECKING, Optional
from unittest import mock

import torch
import torch.nn as nn
import torchvision

if TYPE_CHECKING:
    from mmengine.config import Config


def plain_isqrt_cov(x: torch.Tensor, num_iters: int = 5) -> torch.Tensor:
    """Straightforward autograd iSQRT-COV (docs/reference.md section 1):
    (B, C, H, W) -> (B, C(C+1)/2)."""
    batch, channels, height, width = x.shape
    num_positions = height * width
    feats = x.reshape(batch, channels, num_positions)
    centred = feats - feats.mean(dim=2, keepdim=True)
    cov = centred @ centred.transpose(1, 2) / num_positions
    trace = cov.diagonal(dim1=1, dim2=2).sum(dim=1).view(batch, 1, 1)
    a = cov / trace
    eye = torch.eye(channels, dtype=x.dtype, device=x.device).expand_as(a)
    y, z = a, eye
    for _ in range(num_iters - 1):
        t = 0.5 * (3 * eye - z @ y)
        y, z = y @ t, t @ z
    y = 0.5 * y @ (3 * eye - z @ y)
    y = y * trace.sqrt()
    rows, cols = torch.triu_indices(channels, channels, device=x.device)
    return y[:, rows, cols]


def _gcp_reduction(in_channels: int, dim: int, act: nn.Module,
                   kaiming: bool) -> nn.Sequential:
    conv = nn.Conv2d(in_channels, dim, 1, bias=False)
    if kaiming:  # the reference's init loop covers the reduction conv
        nn.init.kaiming_normal_(conv.weight, mode='fan_out',
                                nonlinearity='relu')
    return nn.Sequential(conv, nn.BatchNorm2d(dim), act)


class ReferenceResNet(nn.Module):
    """torchvision ResNet; GCP: layer4 at stride 1, then layer_reduce(_bn)
    (Kaiming fan_out, as torchvision's convs) and a default nn.Linear."""

    def __init__(self, depth: int, dim: Optional[int] = None):
        super().__init__()
        net = getattr(torchvision.models, f'resnet{depth}')()
        self.gcp = dim is not None
        if self.gcp:
            block = net.layer4[0]
            strided = block.conv2 if hasattr(block, 'conv3') else block.conv1
            strided.stride = (1, 1)
            block.downsample[0].stride = (1, 1)
            reduction = _gcp_reduction(net.fc.in_features, dim, nn.ReLU(),
                                       kaiming=True)
            net.layer_reduce, net.layer_reduce_bn, _ = reduction
            net.fc = nn.Linear(dim * (dim + 1) // 2, 1000)
        self.net = net

    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        if self.gcp:
            x = plain_isqrt_cov(
                torch.relu(n.layer_reduce_bn(n.layer_reduce(x))))
        else:
            x = x.mean((2, 3))
        return n.fc(x)


class ReferenceMobileNetV2(nn.Module):
    """torchvision MobileNetV2; GCP: dimension_reduction (Kaiming fan_out,
    ReLU6), Dropout(0.2) + Linear, Normal(0, 0.01), as torchvision's."""

    def __init__(self, dim: Optional[int] = None):
        super().__init__()
        net = torchvision.models.mobilenet_v2()
        self.gcp = dim is not None
        if self.gcp:
            net.dimension_reduction = _gcp_reduction(1280, dim, nn.ReLU6(),
                                                     kaiming=True)
            fc = nn.Linear(dim * (dim + 1) // 2, 1000)
            nn.init.normal_(fc.weight, 0, 0.01)
            nn.init.zeros_(fc.bias)
            net.classifier = nn.Sequential(nn.Dropout(0.2), fc)
        self.net = net

    def forward(self, x):
        x = self.net.features(x)
        if self.gcp:
            x = plain_isqrt_cov(self.net.dimension_reduction(x))
        else:
            x = x.mean((2, 3))
        return self.net.classifier(x)


class ReferenceShuffleNetV2(nn.Module):
    """torchvision ShuffleNetV2 x1.0 (PyTorch's default init throughout);
    GCP: dimension_reduction (default init, ReLU6) and Linear."""

    def __init__(self, dim: Optional[int] = None):
        super().__init__()
        net = torchvision.models.shufflenet_v2_x1_0()
        self.gcp = dim is not None
        if self.gcp:
            net.dimension_reduction = _gcp_reduction(1024, dim, nn.ReLU6(),
                                                     kaiming=False)
            net.fc = nn.Linear(dim * (dim + 1) // 2, 1000)
        self.net = net

    def forward(self, x):
        n = self.net
        x = n.conv5(n.stage4(n.stage3(n.stage2(n.maxpool(n.conv1(x))))))
        if self.gcp:
            x = plain_isqrt_cov(n.dimension_reduction(x))
        else:
            x = x.mean((2, 3))
        return n.fc(x)


HEAD_DIMS = {'gap': None, 'gcp': 256, 'gcp128': 128}


def reference_net(arch: str, head: str, randomize: bool = True) -> nn.Module:
    """The paper's network for ``arch`` ('resnet50', 'mobilenet_v2', ...)
    and ``head`` ('gap', 'gcp', 'gcp128'), in eval mode.

    With ``randomize`` every weight and BN statistic is redrawn from a
    seeded generator (distinct values for logit comparisons); without, the
    network keeps the reference initialisation.
    """
    dim = HEAD_DIMS[head]
    if arch.startswith('resnet'):
        net = ReferenceResNet(int(arch[len('resnet'):]), dim)
    elif arch == 'mobilenet_v2':
        net = ReferenceMobileNetV2(dim)
    elif arch == 'shufflenet_v2':
        net = ReferenceShuffleNetV2(dim)
    else:
        raise ValueError(f'no reference network for {arch!r}')
    if randomize:
        gen = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for name, tensor in net.state_dict().items():
                if name.endswith('running_var'):
                    tensor.copy_(torch.rand(tensor.shape, generator=gen) +
                                 0.5)
                elif tensor.is_floating_point():
                    tensor.copy_(
                        torch.randn(tensor.shape, generator=gen) * 0.1)
    return net.eval()


@contextlib.contextmanager
def _saved_as_if_on_cuda():
    # The released tensors were on GPUs: their storages carry 'cuda:0',
    # which torch.load must map to the CPU.
    with mock.patch('torch.serialization.location_tag',
                    lambda storage: 'cuda:0'):
        yield


def save_released(net: nn.Module, path, arch: str,
                  legacy: bool = True) -> None:
    """Write ``net`` (a ``reference_net``) as the paper's training script
    saved its checkpoints: ``{'epoch', 'arch', 'state_dict', 'best_acc1',
    'optimizer'}`` with DataParallel's ``module.`` keys, SGD momentum
    buffers, CUDA storage locations and, by default, the legacy (pre-1.6,
    non-zip) format."""
    params = list(net.net.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9,
                                weight_decay=1e-4)
    gen = torch.Generator().manual_seed(2)
    for p in params:  # one step, so every momentum buffer exists
        p.grad = torch.randn(p.shape, generator=gen)
    saved = [p.detach().clone() for p in params]
    optimizer.step()
    with torch.no_grad():
        for p, value in zip(params, saved):
            p.copy_(value)
            p.grad = None
    checkpoint = dict(
        epoch=100,
        arch=f'mpncov{arch}' if getattr(net, 'gcp', False) else arch,
        state_dict={'module.' + k: v for k, v in net.net.state_dict().items()},
        best_acc1=torch.tensor(75.0 + math.pi),
        optimizer=optimizer.state_dict())
    with _saved_as_if_on_cuda():
        torch.save(checkpoint, path, _use_new_zipfile_serialization=not legacy)


def classifier_config(data_root: str, work_dir: str, head: str = 'gcp',
                      size: int = 32, epochs: int = 1) -> 'Config':
    """A CPU-sized zoo classifier for tests: the demo's ResNet-18
    (``configs/demo/resnet18_<head>_lradju_textures.py``) on the colour
    textures at ``data_root`` (``gcp_mm.demo.make_color_texture_dataset``),
    ``size`` px, LRadju compressed to ``epochs``."""
    from gcp_mm.demo import config_on_data
    return config_on_data(
        _demo_config(f'resnet18_{head}_lradju_textures.py'), data_root,
        work_dir, size, epochs)


def detector_config(config: str, data_root: str, work_dir: str,
                    size: int = 96, epochs: int = 1) -> 'Config':
    """A detection ``config`` (a path) on the generated shapes at
    ``data_root`` (``gcp_mm.demo.make_coco_shapes_dataset``), with the
    settings of the demo's detector
    (``configs/demo/faster_rcnn_r18_gcpm_shapes.py``: data, CPU sizing,
    depth 18) and, for Mask R-CNN, ``configs/demo/_base_/masks.py``. The
    config written to ``work_dir`` inherits ``config`` and holds them."""
    import os

    from gcp_mm.demo import config_on_data
    settings = [_demo_config('faster_rcnn_r18_gcpm_shapes.py')]
    if 'mask_rcnn' in os.path.basename(config):
        settings.append(_demo_config('_base_/masks.py'))
    os.makedirs(work_dir, exist_ok=True)
    for index, source in enumerate(settings):  # each inherits the last
        path = os.path.join(work_dir, f'on_shapes_{index}.py')
        with open(path, 'w') as f:
            f.write(f'_base_ = {config!r}\n{_body(source)}')
        config = path
    return config_on_data(config, data_root, work_dir, size, epochs)


def _body(config: str) -> str:
    """A config file's text without its ``_base_`` assignment."""
    import ast
    with open(config) as f:
        text = f.read()
    lines = text.splitlines()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            del lines[node.lineno - 1:node.end_lineno]
            break
    return '\n'.join(lines) + '\n'


def _demo_config(name: str) -> str:
    from gcp_mm.resources import config_path
    return config_path('demo', name)


# ------------------------------------------------------- image files users
# bring: what a scraped or copied data set holds besides good photos


def real_photo() -> str:
    """A real JPEG photo that ships with matplotlib (Grace Hopper)."""
    import matplotlib
    return os.path.join(matplotlib.get_data_path(), 'sample_data',
                        'grace_hopper.jpg')


def real_png() -> str:
    """A real RGB PNG that ships with scikit-image (coffee.png)."""
    import skimage
    return os.path.join(os.path.dirname(skimage.__file__), 'data',
                        'coffee.png')


def write_bad_images(folder: str) -> dict:
    """Files a user's data set may hold, written into ``folder``:
    ``truncated`` (the photo's first 60 %, as an interrupted copy leaves
    it), ``empty`` (0 bytes), ``png_as_jpg`` (a PNG named .jpg) and
    ``cmyk`` (a CMYK JPEG), by name -> path. The last two decode fine."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    with open(real_photo(), 'rb') as f:
        photo = f.read()
    paths = {name: os.path.join(folder, f'{name}.jpg') for name in (
        'truncated', 'empty', 'png_as_jpg', 'cmyk')}
    with open(paths['truncated'], 'wb') as f:
        f.write(photo[:len(photo) * 6 // 10])
    open(paths['empty'], 'wb').close()
    shutil.copyfile(real_png(), paths['png_as_jpg'])
    Image.open(real_photo()).convert('CMYK').save(paths['cmyk'], 'JPEG')
    return paths


def write_small_jpegs(folder: str, count: int, size: int = 64,
                      seed: int = 0) -> list:
    """``count`` random-texture ``size`` x ``size`` JPEGs (quality 90) in
    ``folder``; returns their paths."""
    import numpy as np
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    paths = []
    for i in range(count):
        image = np.roll(base, i, axis=(0, 1))
        path = os.path.join(folder, f'{i:06d}.jpg')
        Image.fromarray(image).save(path, quality=90)
        paths.append(path)
    return paths


_TINY_CONFIGS = itertools.count()


def tiny_classifier_config(data_root: str, work_dir: str,
                           num_workers: int = 0, epochs: int = 1,
                           num_classes: int = 2, size: int = 32):
    """A CPU-sized mmpretrain run on the class folders
    ``<data_root>/train/<class>/``: a ResNet-18 classifier, batch 2,
    images read with PIL as the zoo's configs read them, the data bases'
    ``BadImageHook``, a checkpoint every epoch, no validation."""
    from mmengine.config import Config
    load = dict(type='LoadImageFromFile', imdecode_backend='pillow',
                color_type='color_ignore_orientation')
    import mmpretrain
    cfg = Config.fromfile(os.path.join(
        os.path.dirname(mmpretrain.__file__), '.mim', 'configs', '_base_',
        'default_runtime.py'))
    cfg.merge_from_dict(dict(
        custom_imports=dict(imports=['gcp_mm'], allow_failed_imports=False),
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=num_classes,
                      in_channels=512,
                      loss=dict(type='CrossEntropyLoss'))),
        data_preprocessor=dict(num_classes=num_classes,
                               mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], to_rgb=True),
        train_dataloader=dict(
            batch_size=2, num_workers=num_workers,
            persistent_workers=num_workers > 0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='CustomDataset', data_root=data_root,
                         data_prefix='train', pipeline=[
                             load,
                             dict(type='Resize', scale=(size, size),
                                  backend='pillow'),
                             dict(type='PackInputs')])),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        on_bad_image='stop',
        custom_hooks=[dict(type='BadImageHook')],
        work_dir=work_dir,
        randomness=dict(seed=0)))
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger.interval = 1
    # mmengine hands a new Runner an earlier one's visualizer of that name
    cfg.visualizer.name = f'visualizer_tiny_{next(_TINY_CONFIGS)}'
    return cfg


def small_training_config(data_root: str, work_dir: str,
                          num_workers: int = 0, epochs: int = 2,
                          num_classes: int = 2, images_per_class: int = 8,
                          size: int = 32):
    """:func:`tiny_classifier_config` made smaller and random: a narrow
    ResNet-18 (``base_channels=8``, checkpoints under 1 MB), SGD with
    momentum, random crops and flips, a shuffling sampler, on
    ``images_per_class`` random-texture JPEGs per class written to
    ``<data_root>/train/`` (kept when they exist). For tests of resume,
    checkpoints and the NaN guard."""
    for label in range(num_classes):
        folder = os.path.join(data_root, 'train', f'class{label}')
        if not os.path.isdir(folder):
            write_small_jpegs(folder, images_per_class, size=size + 8,
                              seed=label)
    cfg = tiny_classifier_config(data_root, work_dir, num_workers, epochs,
                                 num_classes, size)
    cfg.model.backbone.base_channels = 8
    cfg.model.head.in_channels = 64
    cfg.optim_wrapper.optimizer.momentum = 0.9
    cfg.train_dataloader.sampler.shuffle = True
    load, _, pack = cfg.train_dataloader.dataset.pipeline
    cfg.train_dataloader.dataset.pipeline = [
        load,
        dict(type='RandomResizedCrop', scale=size, backend='pillow'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        pack,
    ]
    return cfg


# ------------------------------------------------ distributed test runs


def free_port() -> int:
    """A TCP port of 127.0.0.1 free now, for a test's torchrun
    ``--master_port``."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
