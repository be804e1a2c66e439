"""One list of image extensions: mmpretrain's CustomDataset default and
the formats it leaves out that both decoders read; the tools' data sets
read exactly these."""
import pytest

from gcp_mm.datasets.image_files import (
    IMAGE_EXTENSIONS,
    is_image_file,
    read_every_image_format,
)


def test_the_tools_data_sets_read_exactly_these(tmp_path):
    import inspect

    from mmpretrain.datasets import CustomDataset
    default = inspect.signature(CustomDataset.__init__).parameters[
        'extensions'].default
    assert set(IMAGE_EXTENSIONS) - set(default) == {'.tiff', '.webp', '.gif'}
    assert set(default) <= set(IMAGE_EXTENSIONS)
    for index, ext in enumerate(IMAGE_EXTENSIONS + ('.txt', '.json')):
        folder = tmp_path / 'cls'
        folder.mkdir(exist_ok=True)
        (folder / f'{index}{ext}').write_bytes(b'')
    cfg = dict(type='RepeatDataset', times=2, dataset=dict(
        type='CustomDataset', data_root=str(tmp_path), pipeline=[],
        lazy_init=False))
    read_every_image_format(cfg)
    cfg['dataset'].pop('type')
    dataset = CustomDataset(**cfg['dataset'])
    read = {p['img_path'][p['img_path'].rindex('.'):]
            for p in (dataset.get_data_info(i) for i in range(len(dataset)))}
    assert read == set(IMAGE_EXTENSIONS)


@pytest.mark.parametrize('name, image', [('a.JPG', True), ('b.jpeg', True),
                                         ('c.png', True), ('d.txt', False),
                                         ('jpg', False)])
def test_is_image_file(name, image):
    assert is_image_file(name) is image
