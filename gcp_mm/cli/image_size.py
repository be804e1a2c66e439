"""The input size of mmpretrain (and mmdet) pipelines, read and set in one
place."""
from typing import Optional, Sequence

# The steps that fix the network's input size, and the resize before a
# centre crop (kept at the 256/224 ratio of the ImageNet protocol).
RESIZE_RATIO = 256 / 224


def pipeline_input_size(pipeline: Sequence[dict]) -> Optional[int]:
    """The crop size of a pipeline (CenterCrop or RandomResizedCrop)."""
    for step in pipeline or []:
        if step.get('type') == 'CenterCrop':
            return int(step['crop_size'])
        if step.get('type') == 'RandomResizedCrop':
            return int(step['scale'])
    return None


def set_pipeline_input_size(pipeline: Sequence[dict], size: int) -> None:
    """Make a pipeline produce ``size`` x ``size`` inputs: crops of
    ``size``, short-side resizes to ``size * 256 / 224``; mmdet's
    ``Resize`` to a (w, h) scale goes to (size, size)."""
    for step in pipeline:
        if step.get('type') == 'Resize' and isinstance(
                step.get('scale'), (tuple, list)):
            step['scale'] = (size, size)
        if step.get('type') == 'RandomResizedCrop':
            step['scale'] = size
        elif step.get('type') == 'ResizeEdge':
            step['scale'] = round(size * RESIZE_RATIO)
        elif step.get('type') == 'CenterCrop':
            step['crop_size'] = size
