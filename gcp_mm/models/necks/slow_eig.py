"""The warning a GCP neck gives when ``normalization='eig'`` runs on CUDA
at a size where batched ``torch.linalg.eigh`` is known to be slow.

No GPU has run gcp-mm's eig path yet, so the threshold is not our
measurement: PyTorch's tracker reports batched CUDA eigh as far slower
than the alternatives (pytorch/pytorch#174674: 500 matrices of 100x100,
914 ms against 8 ms in CuPy) with a cliff above n = 32
(pytorch/pytorch#175585). The rule is therefore the conservative one:
warn for any d above 32 (docs/normalisations.md).
"""
from typing import Optional

SLOW_CUDA_EIG_ABOVE = 32


def slow_eig_warning(device_type: str, dim: int) -> Optional[str]:
    """The line to log for ``eig`` on ``device_type`` with d = ``dim``
    channels, or None where it is not known to be slow."""
    if device_type != 'cuda' or dim <= SLOW_CUDA_EIG_ABOVE:
        return None
    return (f"normalization='eig' on CUDA with d={dim}: batched "
            'torch.linalg.eigh is slow on GPUs above d=32 (PyTorch issues '
            "#174674, #175585), likely the step's largest cost; "
            "normalization='newton_schulz' (iSQRT-COV) is the fast path "
            '(docs/normalisations.md)')
