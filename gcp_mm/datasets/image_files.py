"""Which files are images: the one list that gcp-mm's folder readers
(inference, robustness) share."""

# what mmpretrain's CustomDataset reads from class folders (its default
# ``extensions``, tests/test_datasets/test_image_files.py), so that every
# folder gcp-mm reads holds the images training would see; stated here
# since importing mmpretrain.datasets prints to stdout
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)
