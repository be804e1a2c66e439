"""Classifying images with a zoo or fine-grained model: what
``tools/infer.py`` stands on.

The model is a config file or a model name of mmpretrain's hub (``import
gcp_mm`` registers gcp-mm's, see ``gcp_mm.models.hub``); the checkpoint
must fit it exactly (released ``.pth.tar`` files are converted first with
``tools/convert_checkpoint.py``). Images are decoded with the config's test
pipeline's decoder (the zoo: PIL), deep images scaled to 8 bits
(``gcp_mm.datasets.decoding``), then run through mmpretrain's
``ImageClassificationInferencer``. EXIF orientation is honoured by default
(a phone photo is classified upright), unlike in training, where the zoo
ignores it as torchvision does; ``exif=False`` ignores it too.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.registry import DefaultScope

from gcp_mm.checkpoint import check_loadable
from gcp_mm.config_file import read_config
from gcp_mm.datasets.bad_images import image_problem
from gcp_mm.datasets.decoding import decode_image
from gcp_mm.datasets.image_files import IMAGE_EXTENSIONS, is_image_file
from gcp_mm.errors import InputError


class InferenceInputError(InputError):
    """An image, model or config that the inference API cannot use."""


def find_images(path: str) -> List[str]:
    """``[path]`` for an image file; for a folder, its images (by
    extension, subfolders included), sorted."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise InferenceInputError(f'image or folder not found: {path}')
    images = sorted(
        osp.join(folder, name) for folder, _, names in os.walk(path)
        for name in names if is_image_file(name))
    if not images:
        raise InferenceInputError(f'no images in {path} (looked for '
                         f'{", ".join(IMAGE_EXTENSIONS)} files)')
    return images


def model_config(model: str) -> Config:
    """The config of ``model``: a config file, or a model name of
    mmpretrain's hub (``mmpretrain.list_models()``)."""
    if model.endswith('.py'):
        return read_config(model)
    from mmpretrain.apis import ModelHub

    from ..models.hub import closest_model_name
    try:
        return ModelHub.get(model).config
    except ValueError:
        close = closest_model_name(model)
        hint = f'; did you mean {close}?' if close else (
            "; gcp-mm's are listed by mmpretrain.list_models('*gcp*')")
        raise InferenceInputError(
            f'unknown model {model!r}: neither a config file (.py) nor a '
            f'model name of mmpretrain.list_models(){hint}') from None


class Classifier:
    """A model with its checkpoint, classifying image files.

    Args:
        model: a config file or a model name of mmpretrain's hub.
        checkpoint: a checkpoint that fits the model exactly (a training
            checkpoint of the config, or a converted released file).
        device: 'cpu', 'cuda', ...; the inferencer's choice when None.
        exif: turn images as their EXIF orientation says (default);
            False reads the pixels as stored, as training does.
    """

    def __init__(self, model: str, checkpoint: str,
                 device: Optional[str] = None, exif: bool = True):
        from mmpretrain.apis import ImageClassificationInferencer
        self.cfg = model_config(model)
        if (self.cfg.model.get('head') or {}).get('num_classes', 0) is None:
            raise InferenceInputError(
                f'{model}: set num_classes in the config (the '
                'number of classes the checkpoint was trained '
                             'on)')
        check_loadable(self._build_model().state_dict(), checkpoint,
                       f'the model of {model}')
        self.inferencer = ImageClassificationInferencer(
            self.cfg, pretrained=checkpoint, device=device)
        self.classes = self.inferencer.classes
        steps = [step for step in self.cfg.test_dataloader.dataset.pipeline
                 if step['type'].split('.')[-1].endswith('LoadImageFromFile')]
        step = steps[0] if steps else {}
        self.exif = exif
        self.backend = step.get('imdecode_backend') or 'cv2'
        gray = str(step.get('color_type', 'color')).startswith('grayscale')
        self.color_type = ('grayscale' if gray else 'color') + (
            '' if exif else '_ignore_orientation')

    def _build_model(self):
        from mmpretrain.registry import MODELS
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            return MODELS.build(self.cfg.model)

    def load_image(self, path: str) -> np.ndarray:
        """The image as the config's test pipeline's decoder reads it (BGR),
        turned by its EXIF orientation unless ``exif=False``."""
        data = None
        try:
            with open(path, 'rb') as f:
                data = f.read()
            image = decode_image(data, self.color_type, self.backend).array
            if image is None:  # cv2 answers None, not an exception
                raise OSError('cannot identify image file')
            return image
        except Exception as err:  # PIL / cv2 errors of all kinds
            raise InferenceInputError(
                f'cannot read image {path}: it {image_problem(data, err)}'
            ) from err

    def predict(self, paths: Sequence[str], topk: int = 5) -> List[Dict]:
        """For each image: ``path``, the ``topk`` best ``labels`` (class
        indices), their ``scores`` (softmax) and ``classes`` (names, or
        None when the model has no class names), and the ``data_sample``."""
        results = []
        for path in paths:
            sample = self.inferencer([self.load_image(path)],
                                     return_datasamples=True)[0]
            scores = sample.pred_score.detach().cpu()
            top = scores.topk(min(topk, scores.numel()))
            labels = top.indices.tolist()
            results.append(
                dict(path=path, labels=labels, scores=top.values.tolist(),
                     classes=[self.classes[i] for i in labels]
                     if self.classes else None, data_sample=sample))
        return results

    def draw(self, result: Dict, out_file: str) -> None:
        """Save the image with its top predictions written on it."""
        from mmpretrain.visualization import UniversalVisualizer
        image = self.load_image(result['path'])[..., ::-1]  # to RGB
        sample = result['data_sample'].clone()
        sample.set_pred_label(result['labels'])  # draw all top-k
        visualizer = UniversalVisualizer.get_instance('gcp_mm_infer')
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        visualizer.visualize_cls(
            np.ascontiguousarray(image), sample, classes=self.classes,
            draw_gt=False, draw_pred=True, draw_score=True,
            out_file=out_file)
