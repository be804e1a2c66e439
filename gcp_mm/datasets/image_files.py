"""Which files are images: the one list that gcp-mm's data sets (the
class folders the tools read), inference and robustness read.

Those both decoders (PIL and cv2) read: JPEG, PNG, BMP, the PNM formats,
TIFF under both extensions, WebP, and GIF (its first frame). mmpretrain's
``CustomDataset`` reads a shorter list by default (no .tiff, .webp, .gif);
:func:`read_every_image_format` gives the tools' data sets this one."""
from typing import Any

from .config_datasets import leaf_datasets

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                    '.tiff', '.webp', '.gif')


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def read_every_image_format(dataset_cfg: Any) -> None:
    """Set ``extensions`` to :data:`IMAGE_EXTENSIONS` on every
    ``CustomDataset`` of ``dataset_cfg`` (wrappers' inner ones included)
    that does not choose its own."""
    for leaf in leaf_datasets(dataset_cfg):
        if str(leaf.get('type')).split('.')[-1] == 'CustomDataset' and \
                'extensions' not in leaf:
            leaf['extensions'] = IMAGE_EXTENSIONS
