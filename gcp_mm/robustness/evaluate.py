"""Running an mmpretrain classifier over ImageNet-C / ImageNet-P data."""
import os
import os.path as osp
import sys
import time
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

import numpy as np
import torch

from .data import corrupted_images, folder_images, list_class_images
from .metrics import flip_probability, imagenet_c_summary, top5_distance


def load_classifier(config: str, checkpoint: str, device: str = 'cpu'):
    """The config's model with the checkpoint's weights, in eval mode."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    from gcp_mm.checkpoint import check_checkpoint_file
    check_checkpoint_file(checkpoint)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


@torch.no_grad()
def predict(model, images: Iterable[Tuple[np.ndarray, int]],
            batch_size: int = 32) -> Tuple[np.ndarray, np.ndarray]:
    """Class scores (N x K) and labels of RGB uint8 images, which are only
    normalised by the model's data preprocessor (no resizing)."""
    device = next(model.parameters()).device
    scores, labels, batch = [], [], []

    def flush():
        # mmpretrain preprocessors expect BGR (they convert with to_rgb)
        inputs = [torch.from_numpy(np.ascontiguousarray(
            img[..., ::-1].transpose(2, 0, 1))).to(device) for img in batch]
        data = model.data_preprocessor(dict(inputs=inputs), False)
        scores.append(model(data['inputs'], mode='tensor').float().cpu())
        batch.clear()

    for image, label in images:
        batch.append(image)
        labels.append(label)
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    return torch.cat(scores).numpy(), np.asarray(labels)


def top1_error(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(scores.argmax(1) != labels))


class Progress:
    """One line per pass with an ETA, for the 75 ImageNet-C passes."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.start = total, 0, time.time()
        self.stream = stream

    def step(self, message: str):
        self.done += 1
        elapsed = time.time() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        print(f'[{self.done}/{self.total}] {message}  '
              f'(elapsed {elapsed:.0f} s, eta {eta:.0f} s)',
              file=self.stream or sys.stdout, flush=True)


def evaluate_imagenet_c(model,
                        corruptions: Sequence[str],
                        severities: Sequence[int],
                        clean_root: str,
                        imagenet_c_root: str = None,
                        crop: int = 224,
                        seed: int = 0,
                        cache_root: str = None,
                        batch_size: int = 32) -> Dict[str, object]:
    """Top-1 errors per corruption and severity, the clean error, and the
    CE / mCE summary (when all 15 benchmark corruptions are present).

    With ``imagenet_c_root`` the released files are read
    (``<root>/<corruption>/<severity>/<wnid>/*.JPEG``); otherwise the
    corruptions are generated from ``clean_root`` on the fly."""
    classes, _ = list_class_images(clean_root)
    progress = Progress(len(corruptions) * len(severities) + 1)
    errors = {}
    clean = top1_error(*predict(model, folder_images(clean_root, classes,
                                                     crop), batch_size))
    progress.step(f'clean: top-1 error {100 * clean:.2f}%')
    for corruption in corruptions:
        errors[corruption] = []
        for severity in severities:
            if imagenet_c_root is not None:
                folder = osp.join(imagenet_c_root, corruption, str(severity))
                images: Iterator = folder_images(folder, classes)
            else:
                images = corrupted_images(clean_root, corruption, severity,
                                          crop, seed, cache_root)
            error = top1_error(*predict(model, images, batch_size))
            errors[corruption].append(error)
            progress.step(f'{corruption} s{severity}: top-1 error '
                          f'{100 * error:.2f}%')
    result = dict(errors={c: [100 * e for e in v] for c, v in errors.items()},
                  clean_error=100 * clean, severities=list(severities))
    if len(severities) == 5:
        try:
            result.update(imagenet_c_summary(errors, clean))
        except ValueError as err:  # a subset of corruptions: no mCE
            result['note'] = str(err)
    return result


def read_video(path: str) -> List[np.ndarray]:
    """RGB frames of an ImageNet-P ``.mp4`` (OpenCV, no resizing)."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame[..., ::-1])
    capture.release()
    if not frames:
        raise ValueError(f'could not decode any frame of {path}')
    return frames


def sequence_metrics(model, videos: Iterable[List[np.ndarray]], noise: bool,
                     difficulty: int = 1,
                     batch_size: int = 32) -> Tuple[float, float]:
    """(flip probability, top-5 distance) over videos of RGB frames."""
    predictions, rankings = [], []
    for frames in videos:
        scores, _ = predict(model, ((f, -1) for f in frames), batch_size)
        order = np.argsort(-scores, axis=1, kind='stable')
        predictions.append(order[:, 0])
        rankings.append(order)
    if not predictions:
        raise ValueError('no videos to evaluate')
    frames = {len(p) for p in predictions}
    if len(frames) != 1:
        raise ValueError(f'videos have different frame counts: {frames}')
    return (flip_probability(np.stack(predictions), noise, difficulty),
            top5_distance(np.stack(rankings), noise, difficulty))


def imagenet_p_videos(root: str, perturbation: str,
                      difficulty: int = 1) -> Iterator[List[np.ndarray]]:
    """Frames of ``<root>/<perturbation>[_<d>]/<wnid>/*.mp4``."""
    name = perturbation if difficulty == 1 else f'{perturbation}_{difficulty}'
    folder = osp.join(root, name)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'ImageNet-P folder not found: {folder}')
    for wnid in sorted(os.listdir(folder)):
        for video in sorted(os.listdir(osp.join(folder, wnid))):
            if video.endswith('.mp4'):
                yield read_video(osp.join(folder, wnid, video))
