"""A zoo config made small for the demo and the tests: its data sets at a
generated data set's root, smaller inputs, its schedule compressed to fewer
epochs, and a visualizer of its own."""
import itertools
import os.path as osp
from typing import Optional

from mmengine.config import Config

from gcp_mm.cli.image_size import set_pipeline_input_size
from gcp_mm.datasets.config_datasets import DATA_LOADERS

_EVALUATORS = ('val_evaluator', 'test_evaluator')


def set_data_root(cfg: Config, data_root: str) -> None:
    """Point every loader's data set (and the evaluators' annotation files
    below the old root) at ``data_root``."""
    old_root = None
    for loader in DATA_LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset is not None:
            old_root = old_root or dataset.get('data_root')
            dataset.data_root = data_root
    for name in _EVALUATORS:
        evaluator = cfg.get(name) or {}
        ann_file = evaluator.get('ann_file')
        if ann_file and old_root and ann_file.startswith(old_root):
            evaluator.ann_file = osp.join(data_root,
                                          ann_file[len(old_root):].lstrip('/'))


def compress_schedule(cfg: Config, epochs: int) -> None:
    """Run the config's epoch-based schedule in ``epochs`` epochs: epoch
    boundaries scale with ``epochs / max_epochs`` (PolyLR's ``T = end - 1``
    included; milestones stay at epoch 1 or later); iteration-based steps
    (warm-ups) are kept. A checkpoint interval of the whole run stays the
    whole run."""
    old_epochs = cfg.train_cfg.max_epochs
    scale = epochs / old_epochs
    cfg.train_cfg.max_epochs = epochs
    schedulers = cfg.param_scheduler
    for sched in schedulers if isinstance(schedulers, list) else [schedulers]:
        if sched.get('by_epoch', True) is False:
            continue
        if 'begin' in sched:
            sched.begin = round(sched.begin * scale)
        if 'end' in sched:
            sched.end = round((sched.end - 1) * scale) + 1
        if 'milestones' in sched:
            sched.milestones = [max(1, round(m * scale))
                                for m in sched.milestones]
    if cfg.train_cfg.get('val_begin', 1) > 1:  # evaluated after training
        cfg.train_cfg.val_begin = epochs + 1
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint and (checkpoint.get('interval', 1) >= old_epochs
                       or checkpoint.get('interval', 1) > epochs):
        checkpoint.interval = epochs  # the last epoch's is kept


_configs_built = itertools.count()


def give_own_visualizer(cfg: Config) -> None:
    """A visualizer name no other config of this process has.

    mmengine hands a Runner the visualizer of any earlier Runner of the
    process with the same name, which still writes into that run's folder.
    mmdet names every visualizer 'visualizer', mmpretrain's are named after
    the config file and the second the run starts, so runs in one process
    (the demo, tests) would share one."""
    cfg.visualizer.name = f'visualizer_{next(_configs_built)}'


def config_on_data(config: str, data_root: str, work_dir: str,
                   size: Optional[int] = None,
                   epochs: Optional[int] = None) -> Config:
    """The config file with its data sets at ``data_root``, ``size`` px
    inputs (:func:`set_pipeline_input_size`), its schedule run in
    ``epochs`` (:func:`compress_schedule`), its runs in ``work_dir`` and a
    visualizer of its own (:func:`give_own_visualizer`)."""
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    set_data_root(cfg, data_root)
    if size is not None:
        for loader in DATA_LOADERS:
            set_pipeline_input_size(cfg[loader].dataset.pipeline, size)
    if epochs is not None and epochs != cfg.train_cfg.max_epochs:
        compress_schedule(cfg, epochs)
    give_own_visualizer(cfg)
    return cfg
