"""Safe image loading for every data loader of a run, and the end-of-epoch
list of the images skipped."""
import glob
import logging
import os
import os.path as osp
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.dist import all_gather_object, get_rank, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from gcp_mm.datasets.bad_images import (
    SafeLoadImageFromFile,
    check_mode,
    read_report,
    short_path,
)
from gcp_mm.datasets.config_datasets import all_datasets

REPORT_DIR = 'bad_images'
LISTED_IN_LOG = 5


def _safe_loader(step: LoadImageFromFile) -> SafeLoadImageFromFile:
    """The same loading step, made safe (mmcv's plain one, e.g. from a
    stock mmdet pipeline)."""
    safe = SafeLoadImageFromFile.__new__(SafeLoadImageFromFile)
    safe.__dict__.update(vars(step))
    safe.on_bad_image, safe.report_file = 'stop', None
    return safe


def make_loading_safe(dataset, on_bad_image: Optional[str] = None,
                      report_file: Optional[str] = None) -> int:
    """Replace mmcv's ``LoadImageFromFile`` steps of ``dataset``'s
    pipelines by :class:`SafeLoadImageFromFile` and set their mode (None:
    keep each step's own) and report file; returns how many steps load
    images."""
    count = 0
    for inner in all_datasets(dataset):
        transforms = getattr(getattr(inner, 'pipeline', None),
                             'transforms', None)
        if transforms is None:
            continue
        for i, step in enumerate(transforms):
            if type(step) is LoadImageFromFile:
                transforms[i] = step = _safe_loader(step)
            if isinstance(step, SafeLoadImageFromFile):
                count += 1
                if on_bad_image is not None:
                    step.on_bad_image = on_bad_image
                step.report_file = report_file
    return count


@HOOKS.register_module()
class BadImageHook(Hook):
    """Every data loader of the run reads images with
    :class:`~gcp_mm.datasets.SafeLoadImageFromFile`: a bad image stops the
    run with one line naming it (``on_bad_image='stop'``), or, in
    training, is skipped with a warning (``'skip'``); the images skipped
    are counted and listed at the end of each epoch (the full list in
    ``<work_dir>/bad_images.txt``). Evaluation always stops at a bad image:
    a metric over other images than the user asked for would be silently
    wrong.

    Args:
        on_bad_image: ``'stop'`` or ``'skip'``; None (default) takes the
            config's top-level ``on_bad_image`` (``'stop'`` when it has
            none), so that ``--cfg-options on_bad_image=skip`` works.
    """

    priority = 'VERY_HIGH'

    def __init__(self, on_bad_image: Optional[str] = None):
        self.on_bad_image = on_bad_image and check_mode(on_bad_image)
        self._seen = {}
        self._skipped = []
        self._prefix = None

    def _mode(self, runner) -> str:
        cfg = getattr(runner, 'cfg', None)
        return check_mode(self.on_bad_image or (
            cfg.get('on_bad_image') if cfg is not None else None) or 'stop')

    def _evaluation(self, loop) -> None:
        if loop is not None and hasattr(loop, 'dataloader'):
            make_loading_safe(loop.dataloader.dataset, 'stop')
            # their line says why 'skip' does not apply here
            for inner in all_datasets(loop.dataloader.dataset):
                for step in getattr(getattr(inner, 'pipeline', None),
                                    'transforms', None) or []:
                    if isinstance(step, SafeLoadImageFromFile):
                        step.evaluation = True

    def before_train(self, runner) -> None:
        folder = osp.join(runner.work_dir, REPORT_DIR)
        self._prefix = osp.join(folder, f'rank{get_rank()}')
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(f'{self._prefix}-*.tsv'):
            os.remove(stale)  # from an earlier run in this work dir
        make_loading_safe(runner.train_loop.dataloader.dataset,
                          self._mode(runner), self._prefix)
        self._evaluation(runner.val_loop)

    def before_val(self, runner) -> None:
        self._evaluation(runner.val_loop)

    def before_test(self, runner) -> None:
        self._evaluation(runner.test_loop)

    def after_train_epoch(self, runner) -> None:
        if self._prefix is None:
            return
        found = read_report(self._prefix, self._seen)
        skipped = [item for part in all_gather_object(found)
                   for item in part]
        if not skipped or not is_main_process():
            return
        self._skipped.extend(skipped)
        listing = osp.join(runner.work_dir, 'bad_images.txt')
        with open(listing, 'w') as f:
            f.writelines(f'{path}\t{problem}\n'
                         for path, problem in self._skipped)
        files = sorted({path for path, _ in skipped})
        shown = ', '.join(short_path(p, 80) for p in files[:LISTED_IN_LOG])
        more = f' and {len(files) - LISTED_IN_LOG} more' \
            if len(files) > LISTED_IN_LOG else ''
        reads = _count(len(skipped), 'bad image read')
        print_log(
            f'epoch {runner.epoch + 1}: skipped {reads} '
            f'({_count(len(files), "file")}): {shown}{more}; full list in '
            f'{listing}', logger='current', level=logging.WARNING)


def _count(number: int, noun: str) -> str:
    return f'{number} {noun}' + ('' if number == 1 else 's')
