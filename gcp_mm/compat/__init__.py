from .mmcv_ops import enable_low_precision_cpu_inputs

__all__ = ['enable_low_precision_cpu_inputs']
