"""The generated COCO-format shapes (gcp_mm.demo.data.coco_shapes): read by
pycocotools and mmdet's CocoDataset, boxes equal to the drawn masks'
extents, shapes apart."""
import json

import numpy as np
import pytest
from PIL import Image

from gcp_mm.demo.data import CATEGORIES, make_coco_shapes_dataset


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    files = make_coco_shapes_dataset(str(root), num_train=6, num_val=3,
                                     size=64, seed=1)
    return root, files


def test_files_and_counts(shapes):
    root, files = shapes
    assert files == {'train': 'annotations/train.json',
                     'val': 'annotations/val.json'}
    val = json.loads((root / files['val']).read_text())
    assert len(val['images']) == 3
    assert [c['name'] for c in val['categories']] == list(CATEGORIES)
    for image in val['images']:
        with Image.open(root / 'images' / image['file_name']) as img:
            assert img.size == (image['width'], image['height']) == (64, 64)


def test_boxes_are_the_extents_of_the_masks(shapes):
    from pycocotools.coco import COCO
    root, files = shapes
    coco = COCO(str(root / files['train']))
    assert coco.getAnnIds()
    for ann in coco.loadAnns(coco.getAnnIds()):
        mask = coco.annToMask(ann)
        rows, cols = np.nonzero(mask)
        x, y, w, h = ann['bbox']
        # the rasterised polygon lies inside its box, up to a pixel
        assert cols.min() >= x - 1 and cols.max() <= x + w + 1
        assert rows.min() >= y - 1 and rows.max() <= y + h + 1
        assert ann['area'] == pytest.approx(mask.sum(), rel=0.35)


def test_shapes_never_overlap(shapes):
    from pycocotools.coco import COCO
    root, files = shapes
    coco = COCO(str(root / files['train']))
    for image_id in coco.getImgIds():
        masks = [coco.annToMask(a)
                 for a in coco.loadAnns(coco.getAnnIds(imgIds=image_id))]
        if len(masks) > 1:
            assert np.stack(masks).sum(0).max() == 1


def test_mmdet_reads_it(shapes):
    from mmdet.datasets import CocoDataset
    root, files = shapes
    dataset = CocoDataset(data_root=str(root), ann_file=files['val'],
                          data_prefix=dict(img='images/'),
                          metainfo=dict(classes=CATEGORIES), pipeline=[],
                          test_mode=True)
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == CATEGORIES
