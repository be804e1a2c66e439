"""``torch.onnx.export`` with torch's default (dynamo) exporter and a
dynamic batch axis."""
import warnings

import torch
from torch import nn

from .support import check_exportable, check_onnx_installed

#: The opset torch 2.14's exporter writes by default.
OPSET = 18


def export_onnx(module: nn.Module,
                example: torch.Tensor,
                path: str,
                dynamic_batch: bool = True) -> str:
    """Export ``module(example)`` (one input, one output tensor) to
    ``path`` and return it. With ``dynamic_batch`` the first axis of input
    and output is symbolic, so an export at batch 1 runs at any batch.

    Refuses (``ExportUnsupportedError``, one line) models with a
    normalisation ONNX cannot express and a missing onnx / onnxscript."""
    check_onnx_installed()
    check_exportable(module)
    dynamic_shapes = None
    if dynamic_batch:
        dynamic_shapes = ({0: torch.export.Dim('batch')}, )
    with warnings.catch_warnings():
        # the exporter's own advice on opset versions and dynamic shapes
        warnings.simplefilter('ignore', UserWarning)
        program = torch.onnx.export(
            module.eval(), (example, ), dynamo=True, opset_version=OPSET,
            input_names=['input'], output_names=['output'],
            dynamic_shapes=dynamic_shapes, verbose=False)
    program.save(path)
    return path
