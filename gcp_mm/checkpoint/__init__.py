"""gcp-mm's weights: reading checkpoint files safely (:mod:`.io`), the
paper's released formats (:mod:`.released`), whether a state dict fits a
model (:mod:`.fit`), and loading (:mod:`.loading`)."""
from .fit import StateDictMismatch, check_state_dict_fits, describe_kept
from .io import (
    REMOTE_CHECKPOINTS,
    CheckpointError,
    check_checkpoint_file,
    checkpoint_format,
    load_checkpoint_file,
)
from .loading import (
    LoadedWeights,
    check_loadable,
    load_weights,
    read_state_dict,
    weights_for,
)
from .released import (
    ARCHS,
    HEADS,
    backbone_state_dict,
    convert_released_state_dict,
    detect_arch,
    is_released_state_dict,
    released_state_dict,
    zoo_config_name,
)

__all__ = [
    'REMOTE_CHECKPOINTS', 'CheckpointError', 'StateDictMismatch',
    'check_checkpoint_file',
    'checkpoint_format', 'load_checkpoint_file', 'check_state_dict_fits',
    'describe_kept',
    'LoadedWeights', 'check_loadable', 'load_weights', 'read_state_dict',
    'weights_for',
    'ARCHS', 'HEADS', 'backbone_state_dict', 'convert_released_state_dict',
    'detect_arch', 'is_released_state_dict', 'released_state_dict',
    'zoo_config_name'
]
