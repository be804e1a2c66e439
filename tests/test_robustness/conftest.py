"""Shared fixtures: a small mmpretrain classifier with a checkpoint, a
folder in the released ImageNet-P layout (OpenCV-written .mp4 files), and
FP / T5D computed independently of gcp_mm.robustness, following the
reference implementation's loops (docs/robustness.md)."""
import os
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FRAME = 32  # frame size of the video fixture
MEAN = np.array([123.675, 116.28, 103.53])  # ImageNet, RGB
STD = np.array([58.395, 57.12, 57.375])


def write_video(path, frames):
    """RGB uint8 frames -> an mp4 (mp4v) written by OpenCV."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (width, height))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()


def decode(path):
    """RGB frames of a video, decoded here with OpenCV."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    ok, frame = capture.read()
    while ok:
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        ok, frame = capture.read()
    capture.release()
    assert frames, path
    return frames


def block_frames(seed, count=31):
    """Frames of random 8x8 colour blocks (large flat areas survive the
    codec), a different pattern per frame and seed."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (count, FRAME // 8, FRAME // 8, 3))
    return [np.kron(b, np.ones((8, 8, 1))).astype(np.uint8) for b in blocks]


def reference_metrics(scores, noise, difficulty):
    """(FP in [0, 1], T5D) from per-video class scores (frames x classes),
    written as the loops of Hendrycks' ImageNet-P test code: step 1 with a
    fixed frame 0 for noise, else step d over vid[i::d] with a moving
    reference; ranks from 1, top-5 distance through the cumulative sum
    [0, 1, 2, 3, 4, 5, 5, ...]."""
    flips, dists = [], []
    for video in scores:
        video = np.asarray(video, dtype=np.float64)
        ranks = np.argsort(np.argsort(-video, axis=1), axis=1) + 1
        preds = video.argmax(1)
        cum = np.cumsum([0] + [1] * 5 + [0] * (video.shape[1] - 6))
        step = 1 if noise else difficulty
        vid_flips, vid_dists = [], []
        for i in range(step):
            prev_pred, perm1 = preds[i], ranks[i]
            for pred, perm2 in zip(preds[i::step][1:], ranks[i::step][1:]):
                vid_flips.append(int(prev_pred != pred))
                sigma = perm2[np.argsort(perm1)]
                vid_dists.append(np.sum(np.abs(cum[:5] - cum[sigma - 1][:5])))
                if not noise:
                    prev_pred, perm1 = pred, perm2
        flips.append(np.mean(vid_flips))
        dists.append(np.mean(vid_dists))
    return float(np.mean(flips)), float(np.mean(dists))


def model_config(num_classes=10):
    """A small real mmpretrain classifier: ResNet-18 + GAP + linear head,
    with the ImageNet data preprocessor at the config's top level (as the
    configs/imagenet files have it)."""
    return Config(dict(
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=num_classes,
                      in_channels=512)),
        data_preprocessor=dict(num_classes=num_classes, mean=MEAN.tolist(),
                               std=STD.tolist(), to_rgb=True),
        default_scope='mmpretrain'))


@pytest.fixture(scope='session')
def tiny_classifier(tmp_path_factory):
    """(model in eval mode, config file, checkpoint file)."""
    root = tmp_path_factory.mktemp('classifier')
    cfg = model_config()
    config = str(root / 'tiny.py')
    cfg.dump(config)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(cfg.model,
                                  data_preprocessor=cfg.data_preprocessor))
    with torch.no_grad():  # untrained, but predictions that vary
        model.head.fc.weight.normal_(0, 1.0)
    checkpoint = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return model.eval(), config, checkpoint


def model_scores(model, frames):
    """Class scores of RGB frames, normalised here (not by the model's
    data preprocessor)."""
    x = (np.stack(frames).astype(np.float64) - MEAN) / STD
    x = torch.from_numpy(x.transpose(0, 3, 1, 2)).float()
    with torch.no_grad():
        return model(x, mode='tensor').numpy()


@pytest.fixture(scope='session')
def released_p(tmp_path_factory):
    """A folder in the released ImageNet-P layout: the noise perturbation
    gaussian_noise at difficulties 1, 2, 3 (gaussian_noise, _2, _3) and
    rotate in its single folder, 2 classes x 1-2 videos each, every video
    with its own frames. rotate_2 / rotate_3 are decoys that the released
    data does not have and that must never be read."""
    root = tmp_path_factory.mktemp('imagenet_p')
    seed = 0
    for folder in ('gaussian_noise', 'gaussian_noise_2', 'gaussian_noise_3',
                   'rotate', 'rotate_2', 'rotate_3'):
        for wnid, names in (('n01440764', ['a', 'b']), ('n01443537', ['c'])):
            for name in names:
                seed += 1
                write_video(root / folder / wnid / f'{name}.mp4',
                            block_frames(seed))
    (root / 'rotate' / 'n01443537' / 'notes.txt').write_text('not a video')
    return root


def video_files(root, folder):
    return [str(root / folder / wnid / f'{name}.mp4')
            for wnid, names in (('n01440764', ['a', 'b']),
                                ('n01443537', ['c'])) for name in names]


@pytest.fixture(scope='session')
def helpers():
    """The helper functions above, for the test modules."""
    return SimpleNamespace(
        write_video=write_video, decode=decode, block_frames=block_frames,
        reference=reference_metrics, scores=model_scores,
        video_files=video_files,
        model_config=model_config)
