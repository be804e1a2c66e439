"""Persistent DataLoader workers, shut down when their run ends.

A Runner that goes out of scope leaves its persistent workers to the
garbage collector, which finalises their queues before the loader's
iterator; the iterator's shutdown then cannot reach the workers and waits
torch's status interval (5 s) for each before it kills it. A process that
runs several Runners (the demo, the normalisation study, a test session)
paid that at the next ``gc.collect`` (mmengine collects when it builds a
data set): 10 s per earlier run with a train and a val loader. Shut down
while the queues are alive, the workers exit at once.
"""
from torch.utils.data import DataLoader

__all__ = ['stop_dataloader_workers', 'stop_runner_workers']


def stop_dataloader_workers(loader) -> None:
    """End the worker processes of ``loader``'s persistent iterator, or of
    ``loader`` itself when it is a DataLoader iterator (anything else:
    nothing). A DataLoader used again starts new workers."""
    iterator = loader
    if isinstance(loader, DataLoader):
        iterator = getattr(loader, '_iterator', None)
        loader._iterator = None
    if hasattr(iterator, '_shutdown_workers'):
        iterator._shutdown_workers()


def stop_runner_workers(runner) -> None:
    """End the persistent DataLoader workers of ``runner``'s train, val and
    test loops (loops not built yet have none)."""
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        stop_dataloader_workers(
            getattr(getattr(runner, name, None), 'dataloader', None))
