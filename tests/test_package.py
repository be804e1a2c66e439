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
        def kernels():
            return [f.__dict__.get(n) for f in (NMSop, RoIAlignFunction)
                    for n in ('forward', 'backward')]
        before = kernels()
        import gcp_mm
        from mmdet.registry import MODELS
        assert MODELS.get('GCPResNet') is not None
        assert kernels() == before, 'import gcp_mm patched mmcv'
        # the wrapper that needs the patch holds it only in its own passes
        import torch
        from gcp_mm.engine import CPUAmpOptimWrapper
        weight = torch.zeros(1, requires_grad=True)
        wrapper = CPUAmpOptimWrapper(torch.optim.SGD([weight], lr=0.1))
        assert kernels() == before
        with wrapper.optim_context(torch.nn.Linear(1, 1)):
            assert kernels() != before
            loss = (weight * 2).sum()
        assert kernels() == before
        wrapper.update_params(loss)
        assert kernels() == before
        print('ok')
        ''')
    assert out.strip() == 'ok'


# what custom_imports=['gcp_mm'] and the libraries beside it are made of
PLUGIN_CORE = ('ops', 'models', 'engine', 'datasets', 'analysis',
               'robustness', 'checkpoint', 'compat', 'errors', 'config_file',
               'resources')


def test_the_plugin_core_never_imports_the_command_line_layer():
    import ast
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    importers = []
    for part in PLUGIN_CORE:
        path = os.path.join(root, 'gcp_mm', part)
        files = [path + '.py'] if os.path.isfile(path + '.py') else [
            os.path.join(folder, name)
            for folder, _, names in os.walk(path) for name in names
            if name.endswith('.py')]
        for file in files:
            with open(file) as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(
                    node, ast.Import) else [node.module or ''] if isinstance(
                        node, ast.ImportFrom) else []
                if any(n == 'gcp_mm.cli' or n.startswith('gcp_mm.cli.')
                       or n == 'gcp_mm.apis' for n in names):
                    importers.append(os.path.relpath(file, root))
    assert importers == []
    # and at run time: importing all of it loads neither
    modules = ', '.join(f"'gcp_mm.{p}'" for p in PLUGIN_CORE)
    out = run_python(f'''
        import importlib, pkgutil, sys
        import gcp_mm
        for name in [{modules}]:
            module = importlib.import_module(name)
            for info in pkgutil.walk_packages(
                    getattr(module, '__path__', []), name + '.'):
                importlib.import_module(info.name)
        print(sorted(m for m in sys.modules
                     if m.startswith(('gcp_mm.cli', 'gcp_mm.apis'))))
        ''')
    assert out.strip().splitlines()[-1] == '[]'
