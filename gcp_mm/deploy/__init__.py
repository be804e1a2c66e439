"""ONNX export of gcp-mm classifiers, checked against PyTorch
(docs/deploy.md). Needs the ``deploy`` extra: onnx, onnxruntime and
onnxscript (``pip install gcp-mm[deploy]``)."""
from .check import ExportCheck, export_and_check
from .onnx_export import export_onnx
from .runtime import OnnxSession, median_latency
from .support import (
                      ExportUnsupportedError,
                      check_exportable,
                      check_onnx_installed,
)

__all__ = [
    'ExportCheck', 'export_and_check', 'export_onnx', 'OnnxSession',
    'median_latency', 'ExportUnsupportedError', 'check_exportable',
    'check_onnx_installed'
]
