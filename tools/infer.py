"""Classify images with a gcp-mm model: top-5 classes and scores.

    python tools/infer.py MODEL CHECKPOINT INPUT [--topk 5] [--show-dir DIR]
        [--out R.json] [--device cpu]

MODEL is a config file (configs/imagenet/*.py, configs/finegrained/*.py)
or a model name of mmpretrain's hub (mmpretrain.list_models('*gcp*')).
CHECKPOINT must fit it exactly: a training checkpoint of the config, or a
released .pth.tar converted with tools/convert_checkpoint.py. INPUT is an
image or a folder of images (subfolders included). Images are turned as
their EXIF orientation says (phone photos), unlike in training, which
reads the pixels as stored; --ignore-exif reads them as training does. The
first line says which.
"""
import argparse
import json
import os.path as osp

from gcp_mm.apis import Classifier, find_images
from gcp_mm.cli import add_debug_argument, exit_on_usage_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Classify an image or a folder of images with a gcp-mm '
        'model and print the top classes with their scores.')
    parser.add_argument('model', help='config file, or a model name of '
                        "mmpretrain's hub, e.g. resnet50_gcp_cub")
    parser.add_argument('checkpoint', help='checkpoint that fits the model '
                        '(released .pth.tar files need '
                        'tools/convert_checkpoint.py first)')
    parser.add_argument('input', help='an image file, or a folder of '
                        'images (subfolders included)')
    parser.add_argument('--topk', type=int, default=5, metavar='K',
                        help='how many classes to print per image '
                        '(default: 5)')
    parser.add_argument('--show-dir', metavar='DIR',
                        help='also save each image with its top classes '
                        'drawn on it, as DIR/<image name>.png')
    parser.add_argument('--out', metavar='R.json',
                        help='also write the results as JSON here')
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ... (default: '
                        'cuda when available)')
    parser.add_argument(
        '--ignore-exif', action='store_true',
        help='read the pixels as stored, ignoring the EXIF orientation, as '
        'training does (default: turn images as EXIF says, as viewers do)')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if args.topk < 1:
        parser.error('--topk must be at least 1')
    return args


def picture_name(path: str, root: str) -> str:
    """<name>.png; images in subfolders keep their folder in the name."""
    rel = osp.relpath(path, root) if osp.isdir(root) else osp.basename(path)
    return osp.splitext(rel)[0].replace(osp.sep, '__') + '.png'


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    images = find_images(args.input)
    print('EXIF orientation: ' + (
        'ignored, as in training (pixels as stored)' if args.ignore_exif
        else 'honoured (images turned as EXIF says; training ignores it: '
        '--ignore-exif to do the same)'))
    classifier = Classifier(args.model, args.checkpoint, args.device,
                            exif=not args.ignore_exif)
    results = classifier.predict(images, topk=args.topk)
    for result in results:
        print(f"{result['path']}:")
        names = result['classes'] or [None] * len(result['labels'])
        for rank, (label, score, name) in enumerate(
                zip(result['labels'], result['scores'], names), start=1):
            print(f'  {rank}. {score:.4f}  {label}' +
                  (f' {name}' if name is not None else ''))
        if args.show_dir:
            classifier.draw(result, osp.join(
                args.show_dir, picture_name(result['path'], args.input)))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump([{k: v for k, v in r.items() if k != 'data_sample'}
                       for r in results], f, indent=2)
    return results


if __name__ == '__main__':
    main()
