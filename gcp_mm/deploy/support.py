"""What exports to ONNX, and the one-line refusal for what does not."""
import importlib.util

from torch import nn

from gcp_mm.errors import InputError

#: Why each normalisation cannot export, and what to do instead
#: (docs/deploy.md has the measurements behind the advice).
UNSUPPORTED = {
    'eig': 'ONNX has no eigendecomposition operator',
    'pade': 'ONNX has no Cholesky factorisation, which its Pade solve needs',
}
ADVICE = ("set normalization='newton_schulz' with num_iters=20 (close to "
          'the exact root) and fine-tune a few epochs before exporting '
          '(docs/deploy.md)')
ONNX_PACKAGES = ('onnx', 'onnxruntime', 'onnxscript')


class ExportUnsupportedError(InputError):
    """A model or environment that cannot export to ONNX."""


def check_exportable(model: nn.Module) -> None:
    """Raise ``ExportUnsupportedError`` (one line: why, and what to do)
    when a covariance neck of ``model`` uses a normalisation that ONNX
    cannot express."""
    for name, module in model.named_modules():
        method = getattr(module, 'normalization', None)
        if method in UNSUPPORTED:
            raise ExportUnsupportedError(
                f'{name or "the model"} uses normalization={method!r}, which '
                f'cannot export to ONNX ({UNSUPPORTED[method]}); {ADVICE}')


def _normalizations(node):
    """Every ``normalization=`` value in a nested config dict / list."""
    if isinstance(node, dict):
        if isinstance(node.get('normalization'), str):
            yield node['normalization']
        for value in node.values():
            yield from _normalizations(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _normalizations(value)


def check_config_exportable(model_cfg: dict) -> None:
    """``check_exportable`` on a model config, before anything is built."""
    for method in _normalizations(model_cfg):
        if method in UNSUPPORTED:
            raise ExportUnsupportedError(
                f'the config sets normalization={method!r}, which cannot '
                f'export to ONNX ({UNSUPPORTED[method]}); {ADVICE}')


def check_onnx_installed() -> None:
    """One line naming the missing packages and the command to add them."""
    missing = [name for name in ONNX_PACKAGES
               if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportUnsupportedError(
            f'ONNX export needs {", ".join(missing)}: pip install '
            f'"gcp-mm[deploy]" (or pip install {" ".join(ONNX_PACKAGES)})')
