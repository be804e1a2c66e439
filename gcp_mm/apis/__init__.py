"""The inference API (as ``mmpretrain.apis``): classify images with a zoo
or fine-grained model and its checkpoint. mmpretrain's own
``list_models``, ``get_model`` and ``ImageClassificationInferencer`` know
gcp-mm's models after ``import gcp_mm`` (``gcp_mm.models.hub``)."""
from .inference import (
    Classifier,
    InferenceInputError,
    find_images,
    model_config,
)

__all__ = ['Classifier', 'InferenceInputError', 'find_images', 'model_config']
