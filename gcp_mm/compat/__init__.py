from .mmcv_ops import low_precision_cpu_inputs

__all__ = ['low_precision_cpu_inputs']
