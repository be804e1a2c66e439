"""Export a classifier config + checkpoint and check the ONNX model
against PyTorch on a real photo: what ``tools/deploy/export_onnx.py``
stands on."""
from dataclasses import dataclass

import numpy as np
import torch

from gcp_mm.config_file import read_config

from .classifier import ClassifierLogits, build_classifier, pipeline_input
from .onnx_export import export_onnx
from .runtime import OnnxSession, median_latency
from .support import (
    check_config_exportable,
    check_exportable,
    check_onnx_installed,
)


@dataclass
class ExportCheck:
    """The exported file and how it compares with PyTorch on one image:
    the largest absolute difference of the class scores, that difference
    relative to the largest score magnitude, whether the top-1 class
    agrees, and median latencies (seconds, batch 1, CPU)."""
    path: str
    input_shape: tuple
    max_abs_diff: float
    max_rel_diff: float
    same_top1: bool
    torch_latency: float
    onnx_latency: float


def compare_outputs(expected: np.ndarray, actual: np.ndarray):
    """(max |a - e|, that over max |e|, argmax equal per row)."""
    abs_diff = float(np.abs(actual - expected).max())
    scale = float(np.abs(expected).max()) or 1.0
    same = bool((actual.argmax(-1) == expected.argmax(-1)).all())
    return abs_diff, abs_diff / scale, same


def export_and_check(config: str, checkpoint: str, out: str,
                     image: str, repeats: int = 10) -> ExportCheck:
    """Build the config's classifier with ``checkpoint`` (None: its
    initial weights), export it to ``out`` with a dynamic batch axis, and
    run ``image`` through PyTorch and ONNX Runtime."""
    check_onnx_installed()
    cfg = read_config(config)
    check_config_exportable(cfg.model)  # before anything is built
    model = build_classifier(cfg, checkpoint)
    check_exportable(model)  # a normalisation set by a module's default
    inputs = pipeline_input(cfg, model, image)
    module = ClassifierLogits(model).eval()
    with torch.no_grad():
        export_onnx(module, inputs, out)
        expected = module(inputs).numpy()
    session = OnnxSession(out)
    array = inputs.numpy()
    actual = session(array)
    abs_diff, rel_diff, same = compare_outputs(expected, actual)
    with torch.no_grad():
        torch_latency = median_latency(lambda: module(inputs), repeats)
    onnx_latency = median_latency(lambda: session(array), repeats)
    return ExportCheck(out, tuple(inputs.shape), abs_diff, rel_diff, same,
                       torch_latency, onnx_latency)
