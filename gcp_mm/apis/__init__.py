"""What the command-line tools stand on: config loading, the checks that
turn late or silent failures into one clear error before anything is built,
and runner set-up (CPU distributed included). Registered runtime parts live
in ``gcp_mm.engine``; ``tools/`` only parses arguments and prints."""
from .cli import (
    UsageError,
    add_debug_argument,
    add_runner_arguments,
    exit_on_usage_error,
)
from .image_size import pipeline_input_size, set_pipeline_input_size
from .preflight import (
    check_checkpoint_fits,
    check_class_folders,
    check_data_paths,
    check_gcp_model_config,
    check_pretrained_backbone,
    check_resume,
)
from .runner import (
    build_runner,
    configure_training,
    load_config,
    start_cpu_process_group,
)
from .tta import apply_tta

__all__ = [
    'UsageError', 'add_debug_argument', 'add_runner_arguments',
    'exit_on_usage_error',
    'pipeline_input_size', 'set_pipeline_input_size',
    'check_checkpoint_fits', 'check_class_folders', 'check_data_paths',
    'check_gcp_model_config', 'check_pretrained_backbone', 'check_resume',
    'build_runner', 'configure_training', 'load_config',
    'start_cpu_process_group', 'apply_tta'
]
