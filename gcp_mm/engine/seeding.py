"""Random state as a function of where training is (seed, rank, epoch,
iteration, sample), so that a resumed run draws exactly the numbers an
uninterrupted one draws, whatever ran in between (evaluation, a restart,
DataLoader workers started afresh, any ``num_workers``)."""
import random
import signal

import numpy as np
import torch


def derived_seed(*numbers: int) -> int:
    """A 64-bit seed mixed from non-negative integers (numpy's
    ``SeedSequence``: nearby inputs give unrelated seeds)."""
    low, high = np.random.SeedSequence(
        [int(n) % 2**64 for n in numbers]).generate_state(2, np.uint32)
    return int(high) << 32 | int(low)


def seed_everything(seed: int) -> None:
    """Python's, numpy's and torch's global generators (CUDA included)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class SeededSamples(torch.utils.data.Dataset):
    """A data set whose items are asked for as ``(index, seed)``: the
    global generators are seeded before the item is read and transformed,
    so that its random augmentation depends on that seed only, not on
    which worker reads it or what it read before. Everything else (length,
    ``metainfo``, ``pipeline``, read and set) is the wrapped data set's."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __getitem__(self, key):
        if isinstance(key, tuple):
            index, seed = key
            seed_everything(seed)
            return self.dataset[index]
        return self.dataset[key]

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name):
        if name == 'dataset':  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __setattr__(self, name, value):
        # hooks that switch the pipeline (mmdet's PipelineSwitchHook,
        # mmpretrain's SwitchRecipeHook) set it on the loader's data set
        if name == 'dataset':
            object.__setattr__(self, name, value)
        else:
            setattr(self.dataset, name, value)


class ResumableBatches:
    """A batch sampler's batches from a position in the epoch on (a resumed
    epoch skips the batches trained before, without reading their data),
    each index paired with its sample's seed: ``seed_of(epoch, batch,
    position)``. ``start`` (a callable) says where the epoch starts when
    it is iterated."""

    def __init__(self, batches, start, seed_of):
        self.batches = batches
        self.start = start
        self.seed_of = seed_of

    def __iter__(self):
        start, epoch_seed = self.start(), self.seed_of()
        for number, batch in enumerate(self.batches):
            if number >= start:
                yield [(index, derived_seed(epoch_seed, number, position))
                       for position, index in enumerate(batch)]

    def __len__(self) -> int:
        return len(self.batches)

    def __getattr__(self, name):
        if name == 'batches':
            raise AttributeError(name)
        return getattr(self.batches, name)


def ignore_stop_signals(init_fn=None):
    """A DataLoader ``worker_init_fn`` that first makes the worker ignore
    SIGINT and SIGTERM (a terminal's Ctrl-C and a cluster's SIGTERM reach
    the whole process group), so that the main process can finish its
    iteration and save; then ``init_fn``."""

    def init(worker_id):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if init_fn is not None:
            init_fn(worker_id)

    return init
