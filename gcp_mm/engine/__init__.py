"""Registered runtime parts (as mmpretrain's ``engine``): hooks, optimizer
wrappers, the training loop and learning-rate schedulers, and the training
safeguards the tools apply to every config (``safety``)."""
from .checkpoint_files import (
    AtomicLocalBackend,
    last_checkpoint,
    write_atomically,
)
from .dataloader_workers import stop_dataloader_workers, stop_runner_workers
from .errors import (
    CheckpointSpaceError,
    NonFiniteError,
    SafetyConfigError,
    TrainingInterrupted,
    TrainingStopped,
)
from .hooks import (
    BadImageHook,
    FiniteStateHook,
    LandscapeHook,
    PreemptionHook,
    SafeCheckpointHook,
    make_loading_safe,
    measure_landscape,
)
from .loops import ExactResumeEpochBasedTrainLoop
from .optim_wrappers import (
    CPUAmpOptimWrapper,
    FiniteCheckOptimWrapper,
    GuardedAmpOptimWrapper,
)
from .safety import apply_training_safety
from .schedulers import PolyToEndLR

__all__ = [
    'PolyToEndLR', 'LandscapeHook', 'measure_landscape', 'BadImageHook',
    'make_loading_safe', 'FiniteStateHook', 'PreemptionHook',
    'SafeCheckpointHook', 'ExactResumeEpochBasedTrainLoop',
    'FiniteCheckOptimWrapper', 'CPUAmpOptimWrapper',
    'GuardedAmpOptimWrapper', 'apply_training_safety', 'AtomicLocalBackend',
    'write_atomically', 'last_checkpoint', 'TrainingStopped',
    'NonFiniteError', 'CheckpointSpaceError', 'TrainingInterrupted',
    'SafetyConfigError', 'stop_dataloader_workers', 'stop_runner_workers'
]
