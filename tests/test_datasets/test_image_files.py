"""One list of image extensions: what mmpretrain's CustomDataset reads."""
import pytest

from gcp_mm.datasets.image_files import IMAGE_EXTENSIONS, is_image_file


def test_the_extensions_are_custom_datasets(tmp_path):
    import inspect

    from mmpretrain.datasets import CustomDataset
    default = inspect.signature(CustomDataset.__init__).parameters[
        'extensions'].default
    assert sorted(IMAGE_EXTENSIONS) == sorted(default)
    for index, ext in enumerate(IMAGE_EXTENSIONS + ('.txt', '.json')):
        folder = tmp_path / 'cls'
        folder.mkdir(exist_ok=True)
        (folder / f'{index}{ext}').write_bytes(b'')
    dataset = CustomDataset(data_root=str(tmp_path), pipeline=[],
                            lazy_init=False)
    read = {p['img_path'][p['img_path'].rindex('.'):]
            for p in (dataset.get_data_info(i) for i in range(len(dataset)))}
    assert read == set(IMAGE_EXTENSIONS)


@pytest.mark.parametrize('name, image', [('a.JPG', True), ('b.jpeg', True),
                                         ('c.png', True), ('d.txt', False),
                                         ('jpg', False)])
def test_is_image_file(name, image):
    assert is_image_file(name) is image
