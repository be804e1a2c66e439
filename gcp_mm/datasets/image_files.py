"""Which files are images: the one list that gcp-mm's folder readers
(inference, robustness) share."""
import inspect

from mmpretrain.datasets import CustomDataset

# what mmpretrain's CustomDataset reads from class folders, so that every
# folder gcp-mm reads holds the images training would see
IMAGE_EXTENSIONS = tuple(
    inspect.signature(CustomDataset.__init__).parameters['extensions'].default)


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)
