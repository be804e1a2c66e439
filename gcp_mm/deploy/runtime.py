"""Running an exported model with ONNX Runtime, and timing it."""
import time
from typing import Callable

import numpy as np


class OnnxSession:
    """An ONNX Runtime CPU session of one exported model (one input, one
    output)."""

    def __init__(self, path: str, threads: int = 0):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's choice
        self.session = ort.InferenceSession(
            path, options, providers=['CPUExecutionProvider'])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: inputs})[0]


def median_latency(fn: Callable[[], object], repeats: int = 10) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
