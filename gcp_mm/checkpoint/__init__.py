"""gcp-mm's weights: reading checkpoint files safely (:mod:`.io`), the
paper's released formats (:mod:`.released`), whether a state dict fits a
model (:mod:`.fit`), loading under the one policy for released files
(:mod:`.loading`: they are converted first), a config's model built with
a checkpoint (:mod:`.model`) and the weights a GCP backbone may start from
(:mod:`.gcp_backbone`)."""
from .fit import StateDictMismatch, check_state_dict_fits, describe_kept
from .gcp_backbone import check_gcp_backbone_init
from .io import (
    REMOTE_CHECKPOINTS,
    CheckpointError,
    checkpoint_format,
    load_checkpoint_file,
)
from .loading import (
    LoadedWeights,
    check_loadable,
    load_weights,
    read_state_dict,
    refuse_released,
    weights_for,
)
from .model import (
    build_model,
    check_model_loads,
    checkpoint_model_config,
    load_model,
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
    'checkpoint_format', 'load_checkpoint_file', 'check_state_dict_fits',
    'describe_kept', 'check_gcp_backbone_init',
    'LoadedWeights', 'check_loadable', 'load_weights', 'read_state_dict',
    'refuse_released', 'weights_for',
    'build_model', 'check_model_loads', 'load_model',
    'checkpoint_model_config',
    'ARCHS', 'HEADS', 'backbone_state_dict', 'convert_released_state_dict',
    'detect_arch', 'is_released_state_dict', 'released_state_dict',
    'zoo_config_name'
]
