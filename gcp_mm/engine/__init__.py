from .data_paths import check_data_paths
from .schedulers import PolyToEndLR

__all__ = ['PolyToEndLR', 'check_data_paths']
