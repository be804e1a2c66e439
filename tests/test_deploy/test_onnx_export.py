"""ONNX export with torch's default (dynamo) exporter, run by ONNX
Runtime and compared with PyTorch (docs/deploy.md): tiny GCP ResNet-18s
(8 reduced channels, 48 px) built from the zoo's config, each exported
once per module."""
import os

import numpy as np
import pytest
import torch

import gcp_mm  # noqa: F401
from gcp_mm.config_file import read_config
from gcp_mm.deploy import (
    ExportUnsupportedError,
    OnnxSession,
    check_exportable,
    export_onnx,
)
from gcp_mm.deploy.classifier import (
    ClassifierLogits,
    build_classifier,
    pipeline_input,
)
from gcp_mm.deploy.support import check_config_exportable
from gcp_mm.ops import isqrt_cov
from gcp_mm.testing import plain_isqrt_cov, real_photo

from ._configs import DIM, NECKS, ZOO_R18, tiny_config

# Measured: largest |ONNX Runtime - PyTorch| of these scores about 1e-6
# of the largest score (docs/deploy.md); 1e-4 leaves room for other CPUs.
RTOL = 1e-4


def exported(tmp_path_factory, name):
    folder = str(tmp_path_factory.mktemp(name))
    cfg = read_config(tiny_config(folder, NECKS[name]))
    model = build_classifier(cfg)
    photo = pipeline_input(cfg, model, real_photo())
    module = ClassifierLogits(model).eval()
    path = export_onnx(module, photo, os.path.join(folder, f'{name}.onnx'))
    return module, photo, OnnxSession(path)


@pytest.fixture(scope='module')
def newton_schulz(tmp_path_factory):
    return exported(tmp_path_factory, 'newton_schulz')


def assert_scores_close(module, session, inputs):
    with torch.no_grad():
        expected = module(inputs).numpy()
    actual = session(inputs.numpy())
    assert actual.shape == expected.shape
    scale = np.abs(expected).max()
    assert np.abs(actual - expected).max() <= RTOL * scale
    assert (actual.argmax(1) == expected.argmax(1)).all()


def test_real_photo_scores_equal_pytorch(newton_schulz):
    module, photo, session = newton_schulz
    assert photo.shape == (1, 3, 48, 48)
    assert_scores_close(module, session, photo)


def test_batch_axis_is_dynamic(newton_schulz):
    """Exported at batch 1, run at batch 3."""
    module, photo, session = newton_schulz
    batch = torch.cat([photo, photo.flip(3), torch.randn_like(photo)])
    assert_scores_close(module, session, batch)


def test_eager_ops_work_after_the_export(newton_schulz):
    """The exported neck's channel count, in eager mode, afterwards."""
    x = torch.randn(2, DIM, 3, 3)
    out = isqrt_cov(x)
    assert type(out) is torch.Tensor
    torch.testing.assert_close(out, plain_isqrt_cov(x))


@pytest.mark.parametrize('name', ['none', 'dropcov'])
def test_other_exportable_necks(tmp_path_factory, name):
    module, photo, session = exported(tmp_path_factory, name)
    assert_scores_close(module, session, torch.cat([photo, photo.flip(2)]))


@pytest.mark.parametrize('method', ['eig', 'pade'])
def test_eig_and_pade_are_refused_in_one_line(tmp_path, method):
    cfg = read_config(tiny_config(
        str(tmp_path), dict(reduced_channels=DIM, normalization=method)))
    model = build_classifier(cfg)
    with pytest.raises(ExportUnsupportedError) as err:
        export_onnx(ClassifierLogits(model), torch.randn(1, 3, 32, 32),
                    str(tmp_path / 'model.onnx'))
    line = str(err.value)
    assert '\n' not in line and len(line) < 300
    assert f"normalization={method!r}" in line and 'ONNX has no' in line
    assert "normalization='newton_schulz'" in line
    assert not (tmp_path / 'model.onnx').exists()


@pytest.mark.parametrize('method', ['eig', 'pade'])
def test_eig_and_pade_configs_are_refused_before_building(tmp_path, method):
    cfg = read_config(tiny_config(
        str(tmp_path), dict(reduced_channels=DIM, normalization=method)))
    with pytest.raises(ExportUnsupportedError,
                       match=f"config sets normalization={method!r}"):
        check_config_exportable(cfg.model)
    check_config_exportable(read_config(ZOO_R18).model)


def test_exportable_model_passes_the_check():
    from gcp_mm.models.necks import GlobalCovariancePooling
    check_exportable(GlobalCovariancePooling(16, 4))
    with pytest.raises(ExportUnsupportedError):
        check_exportable(GlobalCovariancePooling(16, 4, normalization='eig'))


def test_missing_onnx_packages_named_in_one_line(monkeypatch):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec',
        lambda name, *args: None if name == 'onnxscript' else real_find_spec(
            name, *args))
    with pytest.raises(ExportUnsupportedError) as err:
        export_onnx(torch.nn.Identity(), torch.randn(1, 3, 8, 8),
                    'unused.onnx')
    line = str(err.value)
    assert line.startswith('ONNX export needs onnxscript: ')
    assert 'pip install "gcp-mm[deploy]"' in line and '\n' not in line
