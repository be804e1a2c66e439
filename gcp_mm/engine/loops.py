"""An epoch-based training loop that resumes exactly."""
from mmengine.dist import get_rank
from mmengine.registry import LOOPS
from mmengine.runner import EpochBasedTrainLoop

from .dataloader_workers import stop_dataloader_workers
from .seeding import (
    ResumableBatches,
    SeededSamples,
    derived_seed,
    ignore_stop_signals,
    seed_everything,
)

# streams of derived seeds, kept apart
_ITERATION, _SAMPLES = 1, 2


@LOOPS.register_module()
class ExactResumeEpochBasedTrainLoop(EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop`` (same arguments), resumable
    mid-epoch and bit-identically (on the CPU).

    Why mmengine's loop is not exact: it restores the iteration counter but
    restarts the epoch's data from its first batch, and the random state
    is the seed's at the start of the process, not the state the
    interrupted run had: the global generators (dropout, batch
    augmentation) have drawn differently, and DataLoader workers are
    seeded afresh at each start, so random augmentation differs too.

    Here the random state is a function of the position, never carried
    over: before each iteration the global generators are seeded from
    (seed, rank, iteration), and each sample is read with the generators
    seeded from (seed, rank, epoch, batch, position in the batch), in
    whichever process reads it (:class:`~gcp_mm.engine.seeding.
    SeededSamples`). A checkpoint saved after iteration k of an epoch
    (``meta['iter']`` counts the iterations done) resumes at batch k of
    the same sampler order (the sampler's order depends on seed and epoch
    only), and the batches before are skipped without reading them.
    DataLoader workers ignore SIGINT/SIGTERM (the main process handles
    them: ``PreemptionHook``).
    """

    def __init__(self, runner, dataloader, *args, **kwargs):
        super().__init__(runner, dataloader, *args, **kwargs)
        self._start_batch = 0
        loader = self.dataloader
        # DataLoader forbids setting these after __init__; the iterators
        # it creates from now on read them
        object.__setattr__(loader, 'batch_sampler', ResumableBatches(
            loader.batch_sampler, lambda: self._start_batch,
            self._epoch_seed))
        object.__setattr__(loader, 'dataset', SeededSamples(loader.dataset))
        loader.worker_init_fn = ignore_stop_signals(loader.worker_init_fn)

    def _epoch_seed(self) -> int:
        return derived_seed(_SAMPLES, self.runner.seed, get_rank(),
                            self._epoch)

    def run(self):
        done = self._iter - self._epoch * len(self.dataloader)
        self._start_batch = done if 0 < done < len(self.dataloader) else 0
        try:
            return super().run()
        finally:
            self._stop_workers()

    def _stop_workers(self) -> None:
        """Let persistent DataLoader workers exit now. Workers ignore
        SIGTERM, which is how multiprocessing ends them at interpreter exit
        (it would wait for them forever); torch's shutdown asks them."""
        stop_dataloader_workers(self.dataloader)

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        batches = iter(self.dataloader)
        try:
            for idx, data_batch in enumerate(batches, self._start_batch):
                self.run_iter(idx, data_batch)
        except BaseException:
            # a traceback would keep them alive until exit
            stop_dataloader_workers(batches)
            raise
        self._start_batch = 0
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx, data_batch) -> None:
        seed_everything(derived_seed(_ITERATION, self.runner.seed,
                                     get_rank(), self._iter))
        super().run_iter(idx, data_batch)
