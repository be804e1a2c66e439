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


def _imported_modules(file: str, package: str) -> list:
    """The absolute names of the modules ``file`` (a file of the folder of
    ``package``) imports, relative imports resolved."""
    import ast
    with open(file) as f:
        tree = ast.parse(f.read())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module
                                          else []))
            else:
                module = node.module
            # ``from gcp_mm import cli`` names the module in the alias
            names += [module] + [f'{module}.{a.name}' for a in node.names]
    return names


def _is_in(name: str, modules: tuple) -> bool:
    return any(name == m or name.startswith(m + '.') for m in modules)


def test_the_plugin_core_never_imports_the_command_line_layer():
    """No file of gcp_mm/ but cli/, demo/ and testing.py imports cli/ or
    demo/ (read from the files); the plugin core does not import apis/
    either; and at run time ``import gcp_mm`` with every core module loads
    none of them, nor the demo's data generators."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package_root = os.path.join(root, 'gcp_mm')
    importers = []
    for folder, _, names in os.walk(package_root):
        rel = os.path.relpath(folder, root)
        top = rel.split(os.sep)[1] if os.sep in rel else ''
        if top in ('cli', 'demo'):
            continue
        for name in sorted(n for n in names if n.endswith('.py')):
            if rel == 'gcp_mm' and name == 'testing.py':
                continue
            package = rel.replace(os.sep, '.')
            is_core = (top or name[:-3]) in PLUGIN_CORE
            banned = ('gcp_mm.cli', 'gcp_mm.demo') + (
                ('gcp_mm.apis', ) if is_core else ())
            if any(_is_in(n, banned) for n in _imported_modules(
                    os.path.join(folder, name), package)):
                importers.append(os.path.join(rel, name))
    assert importers == []
    # and at run time: importing all of it loads none of them
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
                     if m.startswith(('gcp_mm.cli', 'gcp_mm.apis',
                                      'gcp_mm.demo'))
                     or m.endswith(('color_texture', 'coco_shapes'))))
        ''')
    assert out.strip().splitlines()[-1] == '[]'
