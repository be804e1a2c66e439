"""Tiny data sets in the on-disk layouts of CUB-200-2011, FGVC-Aircraft,
Stanford Cars and DTD (as their official archives unpack, and as
mmpretrain's dataset classes read them), and a class-folder data set.

Each writer returns the samples it wrote, ``{split: [(image path,
label)]}``, with labels counted from 0 in the data set's class list, so
tests can check what a config's data set reads. Images are small random
JPEGs of varying aspect ratio.
"""
import os

import numpy as np
import scipy.io
from mmpretrain.datasets.categories import (
    CUB_CATEGORIES,
    DTD_CATEGORIES,
    FGVCAIRCRAFT_CATEGORIES,
    STANFORDCARS_CATEGORIES,
)
from PIL import Image

SIZES = ((56, 40), (40, 52), (48, 48))  # (width, height)


def write_image(path, index):
    """A random RGB JPEG, its size cycling through ``SIZES``."""
    width, height = SIZES[index % len(SIZES)]
    rng = np.random.default_rng(index)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)


def make_cub(root, labels=(0, 1, 199), train=2, test=1):
    """CUB_200_2011/: images/<NNN.Class_Name>/<Class_Name>_<k>.jpg and the
    1-based index files images.txt, image_class_labels.txt,
    train_test_split.txt (1 = training image)."""
    samples = {'train': [], 'test': []}
    lines = {'images.txt': [], 'image_class_labels.txt': [],
             'train_test_split.txt': []}
    image_id = 0
    for label in labels:
        name = CUB_CATEGORIES[label]
        for k in range(train + test):
            image_id += 1
            rel = f'{label + 1:03d}.{name}/{name}_{k:04d}_{image_id}.jpg'
            write_image(os.path.join(root, 'images', rel), image_id)
            is_train = k < train
            lines['images.txt'].append(f'{image_id} {rel}')
            lines['image_class_labels.txt'].append(f'{image_id} {label + 1}')
            lines['train_test_split.txt'].append(
                f'{image_id} {int(is_train)}')
            samples['train' if is_train else 'test'].append(
                (os.path.join(root, 'images', rel), label))
    for name, content in lines.items():
        with open(os.path.join(root, name), 'w') as f:
            f.write('\n'.join(content) + '\n')
    return samples


def make_aircraft(root, labels=(0, 9, 99), train=2, test=1):
    """fgvc-aircraft-2013b/data/: images/<7 digits>.jpg,
    images_variant_{train,val,trainval,test}.txt ("<image> <variant>", the
    variant names with spaces) and variants.txt."""
    data = os.path.join(root, 'data')
    samples = {'trainval': [], 'test': []}
    lists = {'train': [], 'val': [], 'trainval': [], 'test': []}
    image_id = 1000000
    for label in labels:
        variant = FGVCAIRCRAFT_CATEGORIES[label]
        for k in range(train + test):
            image_id += 17
            path = os.path.join(data, 'images', f'{image_id:07d}.jpg')
            write_image(path, image_id)
            split = 'trainval' if k < train else 'test'
            lists[split].append(f'{image_id:07d} {variant}')
            if split == 'trainval':
                lists['train' if k % 2 == 0 else 'val'].append(
                    f'{image_id:07d} {variant}')
            samples[split].append((path, label))
    for split, content in lists.items():
        with open(os.path.join(data, f'images_variant_{split}.txt'),
                  'w') as f:
            f.write('\n'.join(content) + '\n')
    with open(os.path.join(data, 'variants.txt'), 'w') as f:
        f.write('\n'.join(FGVCAIRCRAFT_CATEGORIES) + '\n')
    return samples


def _struct_array(records, fields):
    """A MATLAB 1xN struct array. MATLAB stores integral doubles in the
    smallest integer type that holds them, and mat4py reads those back as
    ints; integer arrays give the same."""
    array = np.zeros((1, len(records)), dtype=[(f, 'O') for f in fields])
    for i, record in enumerate(records):
        array[0, i] = tuple(
            np.array([value]) if isinstance(value, str) else
            np.array([[value]], dtype=np.uint16) for value in record)
    return array


def make_cars(root, labels=(0, 1, 195), train=2, test=1):
    """Stanford_Cars/: cars_train/<NNNNN>.jpg, cars_test/<NNNNN>.jpg and
    devkit/ with cars_meta.mat, cars_train_annos.mat and
    cars_test_annos_withlabels.mat (struct arrays with bbox_x1, bbox_y1,
    bbox_x2, bbox_y2, class (1-based) and fname)."""
    samples = {'train': [], 'test': []}
    annos = {'train': [], 'test': []}
    for label in labels:
        for k in range(train + test):
            split = 'train' if k < train else 'test'
            fname = f'{len(annos[split]) + 1:05d}.jpg'
            path = os.path.join(root, f'cars_{split}', fname)
            write_image(path, 100 * label + k)
            annos[split].append((1, 2, 30, 20, label + 1, fname))
            samples[split].append((path, label))
    fields = ('bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2', 'class', 'fname')
    os.makedirs(os.path.join(root, 'devkit'))
    for split, name in (('train', 'cars_train_annos.mat'),
                        ('test', 'cars_test_annos_withlabels.mat')):
        scipy.io.savemat(os.path.join(root, 'devkit', name),
                         {'annotations': _struct_array(annos[split], fields)})
    scipy.io.savemat(os.path.join(root, 'devkit', 'cars_meta.mat'), {
        'class_names': np.array([list(STANFORDCARS_CATEGORIES)], dtype=object)
    })
    return samples


def make_cars_annos(root, labels=(0, 195), train=1, test=1):
    """The other Stanford Cars layout: car_ims/<NNNNNN>.jpg and
    cars_annos.mat (relative_im_path, bbox, class, test flag)."""
    samples = {'train': [], 'test': []}
    annos = []
    for label in labels:
        for k in range(train + test):
            is_test = k >= train
            rel = f'car_ims/{len(annos) + 1:06d}.jpg'
            write_image(os.path.join(root, rel), len(annos))
            annos.append((rel, 1, 2, 30, 20, label + 1, int(is_test)))
            samples['test' if is_test else 'train'].append(
                (os.path.join(root, rel), label))
    fields = ('relative_im_path', 'bbox_x1', 'bbox_y1', 'bbox_x2',
              'bbox_y2', 'class', 'test')
    scipy.io.savemat(os.path.join(root, 'cars_annos.mat'),
                     {'annotations': _struct_array(annos, fields)})
    return samples


def make_dtd(root, labels=(0, 1, 46), train=1, val=1, test=1):
    """dtd/: images/<class>/<class>_<NNNN>.jpg, imdb/imdb.mat (images: id,
    name "<class>/<file>", set 1/2/3 = train/val/test, class 1-based; meta:
    classes) and labels/{train,val,test}1.txt."""
    samples = {'trainval': [], 'test': []}
    images = {'id': [], 'name': [], 'set': [], 'class': []}
    lists = {1: [], 2: [], 3: []}
    for label in labels:
        name = DTD_CATEGORIES[label]
        for k, part in enumerate([1] * train + [2] * val + [3] * test):
            rel = f'{name}/{name}_{k + 1:04d}.jpg'
            path = os.path.join(root, 'images', rel)
            write_image(path, 10 * label + k)
            images['id'].append(len(images['id']) + 1)
            images['name'].append(rel)
            images['set'].append(part)
            images['class'].append(label + 1)
            lists[part].append(rel)
            samples['test' if part == 3 else 'trainval'].append(
                (path, label))
    row = {key: np.array([values], dtype=object if key == 'name' else
                         np.uint16) for key, values in images.items()}
    os.makedirs(os.path.join(root, 'imdb'))
    scipy.io.savemat(os.path.join(root, 'imdb', 'imdb.mat'), {
        'images': row,
        'meta': {'classes': np.array([list(DTD_CATEGORIES)], dtype=object)}
    })
    os.makedirs(os.path.join(root, 'labels'))
    for part, split in ((1, 'train'), (2, 'val'), (3, 'test')):
        with open(os.path.join(root, 'labels', f'{split}1.txt'), 'w') as f:
            f.write('\n'.join(lists[part]) + '\n')
    return samples


def make_class_folders(root, classes=('heron', 'ibis', 'stork'), train=2,
                       val=1):
    """<root>/train/<class>/*.jpg and <root>/val/<class>/*.jpg."""
    samples = {'train': [], 'val': []}
    for label, name in enumerate(classes):
        for k in range(train + val):
            split = 'train' if k < train else 'val'
            path = os.path.join(root, split, name, f'{name}_{k}.jpg')
            write_image(path, 7 * label + k)
            samples[split].append((path, label))
    return samples
