"""``import gcp_mm``: classification users need no mmdet, and importing
changes no third-party function."""
import subprocess
import sys
import textwrap


def run_python(code):
    done = subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_import_without_mmdet():
    out = run_python('''
        import sys
        sys.modules['mmdet'] = None  # as if not installed: import fails
        import gcp_mm
        from mmengine.registry import MODELS
        from mmpretrain.registry import MODELS as CLS_MODELS
        assert MODELS.get('GlobalCovariancePooling') is not None
        assert CLS_MODELS.get('GlobalCovariancePooling') is not None
        assert MODELS.get('GCPResNet') is None
        assert not any(m.startswith('mmdet.') for m in sys.modules)
        print('ok')
        ''')
    assert out.strip() == 'ok'


def test_import_registers_detection_backbone_and_patches_nothing():
    out = run_python('''
        from mmcv.ops.nms import NMSop
        from mmcv.ops.roi_align import RoIAlignFunction
        before = [NMSop.forward, RoIAlignFunction.forward]
        import gcp_mm
        from mmdet.registry import MODELS
        assert MODELS.get('GCPResNet') is not None
        after = [NMSop.forward, RoIAlignFunction.forward]
        assert before == after, 'import gcp_mm patched mmcv'
        # the feature that needs the patch switches it on
        import torch
        from gcp_mm.engine import CPUAmpOptimWrapper
        CPUAmpOptimWrapper(torch.optim.SGD([torch.zeros(1)], lr=0.1))
        assert NMSop.forward.gcp_mm_float32_on_cpu
        print('ok')
        ''')
    assert out.strip() == 'ok'
