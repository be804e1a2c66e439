"""Check every image of a config's data sets before a long run.

    python tools/check_data.py CONFIG [--splits train val test]
        [--workers N] [--out FILE] [--cfg-options k=v ...]

Decodes each image of the splits' data sets completely (in N processes,
with a progress bar on a terminal) and lists every file that is missing,
empty (0 bytes), truncated, not decodable, not convertible to RGB or above
PIL's decompression-bomb limit, and every class folder without images
(class-folder data sets). It also reports, without failing, how many
images need a conversion (bit depth, palette, alpha) by kind, the images
above PIL's warning size, and the files of class folders that are not read
(counts by extension). Exit status 0 when all is well, 1 when problems
were found (the full list is written to FILE, by default
<work_dir>/data_check.txt, when it is long), 2 for a configuration
mistake (a symbolic link loop in a class folder too).
"""
import argparse
import os
import os.path as osp
import time

from mmengine.logging import MMLogger

from gcp_mm.cli import (
    CfgOptionsAction,
    UsageError,
    add_debug_argument,
    check_data_paths,
    exit_on_usage_error,
    load_config,
    scanned_class_folders,
)
from gcp_mm.datasets.bad_images import short_path
from gcp_mm.datasets.config_datasets import loader_dataset
from gcp_mm.datasets.data_check import (
    LARGE,
    DataCheckError,
    check_images,
    dataset_images,
    empty_class_folders,
)
from gcp_mm.datasets.folder_scan import describe_others

SHOWN = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Decode every image of a config's data sets and list "
        'the bad files and empty class folders.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'],
                        help='which data loaders to check (default: train '
                        'val)')
    parser.add_argument('--workers', type=int, default=2,
                        help='decoding processes (default 2)')
    parser.add_argument('--out', help='write the full list of problems '
                        'here (default: <work_dir>/data_check.txt, written '
                        f'when there are more than {SHOWN})')
    parser.add_argument('--work-dir', help='default folder of --out '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE',
        action=CfgOptionsAction,
        help='override config entries, e.g. '
        'train_dataloader.dataset.data_root=data/mine')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def _files(count: int) -> str:
    return f'{count} file{"s" * (count != 1)}'


@exit_on_usage_error
def main(argv=None):
    args = parse_args(argv)
    if args.workers < 1:
        raise UsageError('--workers must be at least 1')
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    # the data sets' own warnings (e.g. mmpretrain's on an empty class
    # folder) would repeat what the check reports
    MMLogger.get_instance('check_data', log_level='ERROR')
    check_data_paths(cfg, [f'{split}_dataloader' for split in args.splits])
    problems, images, unread = [], [], []
    for split in args.splits:
        dataset = loader_dataset(cfg, f'{split}_dataloader')
        if not dataset:
            continue
        for leaf, folder, scan in scanned_class_folders(
                dataset, f'{split}_dataloader'):
            if scan.others:
                unread.append(
                    f'{split}: {_files(sum(scan.others.values()))} not read '
                    f'(not images by extension: '
                    f'{describe_others(scan.others)}), e.g. '
                    f'{short_path(scan.other_example, 120)}')
            problems += [(path, ': class folder without images')
                         for path in empty_class_folders(
                             folder, leaf.get('extensions'))]
        try:
            images += dataset_images(dataset, cfg.get('default_scope'))
        except DataCheckError as err:
            raise UsageError(f'{split}_dataloader: {err}') from err
    images = list(dict.fromkeys(images))
    start = time.perf_counter()
    notes = {}
    bad = check_images(images, args.workers, notes=notes)
    seconds = time.perf_counter() - start
    problems += [(path, f' {problem}') for path, problem in bad]
    print(f'checked {len(images)} images of {", ".join(args.splits)} in '
          f'{seconds:.1f} s ({len(images) / max(seconds, 1e-9):.0f} '
          f'images/s, {args.workers} processes)')
    for line in unread:
        print(line)
    for path in notes.pop(LARGE, [])[:SHOWN]:
        print(f'large: {short_path(path)} is {LARGE} (decoded, with much '
              'memory)')
    if notes:
        print('converted when loaded (docs/classification.md): ' + ', '.join(
            f'{len(paths)} {kind}' for kind, paths in sorted(
                notes.items(), key=lambda item: -len(item[1]))))
    if not problems:
        print('no problems found')
        return 0
    for path, problem in problems[:SHOWN]:
        print(f'bad: {short_path(path)}{problem}')
    if len(problems) > SHOWN or args.out:
        out = args.out or osp.join(cfg.work_dir, 'data_check.txt')
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as f:
            f.writelines(f'{path}{problem}\n' for path, problem in problems)
        more = f'{len(problems) - SHOWN} more; ' \
            if len(problems) > SHOWN else ''
        print(f'{more}full list in {out}')
    folders = len(problems) - len(bad)
    print(f'{len(bad)} bad image file{"s" * (len(bad) != 1)}, {folders} '
          f'class folder{"s" * (folders != 1)} without images: remove or '
          're-encode the files; add images to the folders or remove them')
    raise SystemExit(1)


if __name__ == '__main__':
    main()
