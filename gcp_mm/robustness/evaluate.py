"""Running an mmpretrain classifier over robustness data: loading the
model with its weights, batched prediction, progress lines. Inputs a user
got wrong raise ``RobustnessInputError`` (missing files
``InputFileError``: one ``error:`` line in the tool), checked before any
model is built."""
import sys
import time
from typing import Iterable, Tuple

import numpy as np
import torch

from gcp_mm.checkpoint.io import CHECKPOINT_IN_FOLDER
from gcp_mm.input_files import check_input_path

from .errors import RobustnessInputError


def check_model_files(config: str, checkpoint: str) -> None:
    """Fail before any model is built if the config or the checkpoint
    file does not exist (:class:`~gcp_mm.errors.InputFileError`)."""
    check_input_path(config, 'config file', 'pass an mmpretrain config, '
                     'e.g. configs/imagenet/resnet50_gcp_lrnorm.py')
    check_input_path(
        checkpoint, 'checkpoint file', "pass the weights of the config's "
        'model (a checkpoint of tools/train.py, or one made by '
        'tools/convert_checkpoint.py from a released .pth.tar)',
        folder_fix=CHECKPOINT_IN_FOLDER)


def check_image_folder(root: str, purpose: str) -> None:
    """Fail unless ``root`` is a ``<class>/<image>`` folder with images;
    ``purpose`` says what it is for."""
    from .data import list_class_images
    try:
        list_class_images(root)
    except FileNotFoundError as err:
        raise RobustnessInputError(
            f'{err}; pass a <class>/<image> folder {purpose}') from err


def load_classifier(config: str, checkpoint: str, device: str = 'cpu'):
    """The config's model with the checkpoint's weights, in eval mode
    (``gcp_mm.checkpoint.load_model``: built as mmengine's Runner builds
    it, with the config's data preprocessor; a released file of the paper
    is refused with the conversion to run first, as by every loader). A
    checkpoint that cannot be read raises ``CheckpointError``; one that
    does not fit the model, ``RobustnessInputError``."""
    from gcp_mm.checkpoint import StateDictMismatch, load_model
    from gcp_mm.config_file import read_config

    check_model_files(config, checkpoint)
    try:
        model = load_model(read_config(config), checkpoint,
                           f'the model of {config}')
    except StateDictMismatch as err:
        raise RobustnessInputError(
            'pass a checkpoint of the config\'s model (or the config of '
            f'the checkpoint\'s): {err}') from err
    return model.to(device)


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
    """One line per pass with an ETA (76 passes for ImageNet-C)."""

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
