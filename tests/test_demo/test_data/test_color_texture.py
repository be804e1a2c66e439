"""The demo's colour textures (gcp_mm.demo.data.color_texture): mmpretrain's
class-folder layout, deterministic, classes apart only in second-order
statistics."""


def test_dataset_is_deterministic_and_in_custom_dataset_layout(tmp_path):
    from mmpretrain.datasets import CustomDataset

    from gcp_mm.demo.data import CLASS_NAMES, make_color_texture_dataset
    for run in ('a', 'b'):
        make_color_texture_dataset(str(tmp_path / run), 1, 1, size=16,
                                   seed=3)
    for cls in CLASS_NAMES:
        first = (tmp_path / 'a' / 'train' / cls / '0000.png').read_bytes()
        assert first == (tmp_path / 'b' / 'train' / cls /
                         '0000.png').read_bytes()
    dataset = CustomDataset(data_root=str(tmp_path / 'a'),
                            data_prefix='val', pipeline=[])
    assert dataset.CLASSES == CLASS_NAMES and len(dataset) == 8


def test_classes_share_first_order_statistics():
    import numpy as np

    from gcp_mm.demo.data.color_texture import render_texture
    rng = np.random.default_rng(0)
    means = []
    for cls in range(8):
        images = np.stack([render_texture(rng, cls, 16) for _ in range(400)])
        means.append(images.reshape(-1, 3).mean(0))
    # same mean colour (128) for every class, within sampling noise (the
    # per-image colour shift has std 17 -> 0.9 for the mean of 400 images)
    assert np.abs(np.array(means) - 128).max() < 4
