"""The zoo's pipelines decode and resize as the paper's reference does
(torchvision on PIL images, docs/reference.md section 3), checked on real
photos: the JPEGs that ship inside matplotlib and scikit-image."""
import glob
import os
from unittest import mock

import matplotlib
import numpy as np
import pytest
import skimage
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from mmengine.dataset import Compose
from mmpretrain.datasets.transforms import RandomResizedCrop
from mmpretrain.registry import MODELS, TRANSFORMS
from PIL import Image

from .test_imagenet_configs import CONFIGS, load

PHOTOS = sorted(
    glob.glob(os.path.join(matplotlib.get_data_path(), 'sample_data',
                           '*.jpg')) +
    glob.glob(os.path.join(os.path.dirname(skimage.__file__), 'data',
                           '*.jpg')))
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def test_there_are_photos():
    assert len(PHOTOS) >= 4


def torchvision_test_image(path):
    """ImageFolder's loader + Resize(256) + CenterCrop(224), RGB uint8."""
    image = Image.open(path).convert('RGB')
    return np.asarray(T.CenterCrop(224)(T.Resize(256)(image)))


def run_pipeline(pipeline, path):
    packed = Compose([TRANSFORMS.build(s) for s in pipeline])(
        dict(img_path=path))
    return packed['inputs']  # C x H x W uint8, BGR


@pytest.mark.parametrize('name', sorted({n for n in CONFIGS
                                         if n.endswith('_lrnorm')}))
def test_test_pipeline_equals_torchvision(name):
    cfg = load(name)
    preprocessor = MODELS.build(dict(cfg.data_preprocessor,
                                     type='ClsDataPreprocessor'))
    for path in PHOTOS:
        inputs = run_pipeline(cfg.test_dataloader.dataset.pipeline, path)
        ours = inputs.permute(1, 2, 0).numpy()[..., ::-1]  # to RGB
        expected = torchvision_test_image(path)
        assert ours.shape == expected.shape, path
        assert np.array_equal(ours, expected), path
        # and after normalisation: ToTensor + Normalize of the reference
        normalised = preprocessor(dict(inputs=[inputs]))['inputs'][0]
        reference = T.Normalize(MEAN, STD)(T.ToTensor()(expected))
        torch.testing.assert_close(normalised, reference, atol=1e-5,
                                   rtol=1e-5)
    assert cfg.val_dataloader.dataset.pipeline == \
        cfg.test_dataloader.dataset.pipeline


def test_mmpretrain_default_pipeline_would_differ():
    """Why the configs set the pillow backends: cv2 resizing differs."""
    default = [dict(type='LoadImageFromFile'),
               dict(type='ResizeEdge', scale=256, edge='short'),
               dict(type='CenterCrop', crop_size=224),
               dict(type='PackInputs')]
    worst = 0
    for path in PHOTOS:
        ours = run_pipeline(default, path).permute(1, 2, 0).numpy()[..., ::-1]
        diff = np.abs(ours.astype(int) - torchvision_test_image(path))
        worst = max(worst, diff.max() / 255 / min(STD))
    assert worst > 0.5  # normalised units


@pytest.mark.parametrize('name', ['resnet50_gcp_lrnorm',
                                  'mobilenet_v2_gcp_lradju',
                                  'shufflenet_v2_gcp_lrfast'])
def test_train_crop_resizes_as_torchvision(name):
    """RandomResizedCrop: for the same crop box, the pixels equal
    torchvision's resized_crop (bilinear, PIL)."""
    pipeline = load(name).train_dataloader.dataset.pipeline
    steps = [s for s in pipeline if s.type in ('LoadImageFromFile',
                                               'RandomResizedCrop')]
    steps.append(dict(type='PackInputs'))
    box = (37, 51, 199, 161)  # top, left, height, width
    with mock.patch.object(RandomResizedCrop, 'rand_crop_params',
                           lambda self, img: box):
        for path in PHOTOS:
            ours = run_pipeline(steps, path).permute(1, 2, 0).numpy()
            expected = TF.resized_crop(
                Image.open(path).convert('RGB'), *box, [224, 224],
                interpolation=T.InterpolationMode.BILINEAR)
            assert np.array_equal(ours[..., ::-1], np.asarray(expected)), \
                path


def test_robustness_clean_images_equal_torchvision():
    """ImageNet-C / -P crops their clean images the same way."""
    from gcp_mm.robustness.data import resize_center_crop
    for path in PHOTOS:
        assert np.array_equal(resize_center_crop(Image.open(path)),
                              torchvision_test_image(path)), path
