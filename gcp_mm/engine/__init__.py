from .config_checks import check_gcp_model_config
from .data_paths import check_data_paths
from .hooks import LandscapeHook, measure_landscape
from .optim_wrappers import CPUAmpOptimWrapper, FiniteCheckOptimWrapper
from .schedulers import PolyToEndLR

__all__ = [
    'PolyToEndLR', 'check_data_paths', 'LandscapeHook', 'measure_landscape',
    'check_gcp_model_config', 'FiniteCheckOptimWrapper', 'CPUAmpOptimWrapper'
]
