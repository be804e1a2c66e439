"""Why a training run stopped on its own: one line each, printed by the
tools (``gcp_mm.cli.errors.exit_on_usage_error``) without a traceback."""
from gcp_mm.errors import InputError


class TrainingStopped(InputError):
    """The run stopped to keep its work safe (a non-finite state, a full
    disk); the checkpoints saved before are untouched."""


class NonFiniteError(TrainingStopped, FloatingPointError):
    """NaN/Inf in the gradients, weights, BN statistics or optimizer state,
    or a loss scaler that keeps skipping steps: nothing non-finite was
    saved."""


class NonFiniteGradients(NonFiniteError):
    """The optimizer wrapper's refusal to step with NaN/Inf gradients."""


class CheckpointSpaceError(TrainingStopped):
    """A checkpoint did not fit on its disk: nothing was written under its
    name."""


class TrainingInterrupted(BaseException):
    """SIGTERM or SIGINT: the run saved a resumable checkpoint of the
    iteration it finished and stops. A ``BaseException``, as
    ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.

    Args:
        signum: the signal received.
        checkpoint: the checkpoint saved (None on ranks other than 0).
    """

    def __init__(self, signum: int, checkpoint: str):
        super().__init__(signum, checkpoint)
        self.signum = signum
        self.checkpoint = checkpoint

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # what a shell reports for the signal


class SafetyConfigError(InputError):
    """A config's ``training_safety`` setting names an unknown switch."""
