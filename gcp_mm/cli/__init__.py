"""The command-line layer: what ``tools/`` stands on. Config loading with
checked ``--cfg-options``, the checks that turn late or silent failures
into one clear error before anything is built (``preflight``), runner
set-up (CPU distributed included), test-time augmentation, checkpoint
conversion, and the one-line answers to ``InputError``s. The plugin core
(``ops``, ``models``, ``engine``, ``datasets``, ``analysis``,
``robustness``, ``checkpoint``) never imports it."""
from .config import (
    CfgOptionsAction,
    load_config,
    parse_cfg_option,
    read_config,
)
from .convert import convert_released_checkpoint, zoo_config
from .errors import (
    UsageError,
    add_debug_argument,
    add_runner_arguments,
    exit_on_usage_error,
    one_line,
)
from .image_size import pipeline_input_size, set_pipeline_input_size
from .preflight import (
    check_checkpoint_fits,
    check_class_folders,
    check_data_paths,
    check_gcp_model_config,
    check_pretrained_backbone,
    check_resume,
    check_resume_fits,
    log_checkpoint_fit,
    scanned_class_folders,
)
from .runner import (
    build_runner,
    configure_training,
    resume_command,
    start_cpu_process_group,
    train,
)
from .tta import apply_tta

__all__ = [
    'CfgOptionsAction', 'load_config', 'parse_cfg_option', 'read_config',
    'convert_released_checkpoint', 'zoo_config', 'UsageError',
    'add_debug_argument', 'add_runner_arguments', 'exit_on_usage_error',
    'one_line', 'pipeline_input_size', 'set_pipeline_input_size',
    'check_checkpoint_fits', 'check_class_folders', 'check_data_paths',
    'check_gcp_model_config', 'check_pretrained_backbone', 'check_resume',
    'check_resume_fits',
    'log_checkpoint_fit',
    'build_runner', 'configure_training', 'start_cpu_process_group', 'train',
    'resume_command',
    'apply_tta', 'scanned_class_folders'
]
