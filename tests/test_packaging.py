"""gcp-mm as a pip user gets it (setup.py, gcp_mm/resources.py): the wheel
built from this checkout carries the model zoo (configs, metafiles,
model-index.yml under gcp_mm/.mim), the tools and the licence, declares
its dependencies, and works when installed into a folder of its own and
used from another folder, with no checkout on the path."""
import ast
import email.parser
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from importlib import metadata

import matplotlib
import pytest
import yaml
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(matplotlib.get_data_path(), 'sample_data',
                     'grace_hopper.jpg')
MODEL = 'resnet18-gcp_8xb32-lrnorm_in1k'
WINNER = 417  # the class the test checkpoint's head bias makes certain


def metafile_models(task=None):
    """name -> config path (relative to the root), read from the metafiles
    that model-index.yml imports, without mmpretrain's loader; with a task,
    of the entries whose results are of that task only."""
    with open(os.path.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = {}
    for metafile in index['Import']:
        with open(os.path.join(ROOT, metafile)) as f:
            for entry in yaml.safe_load(f)['Models']:
                tasks = {r['Task'] for r in entry['Results']}
                if task is None or task in tasks:
                    models[entry['Name']] = entry['Config']
    return models


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """The wheel of this checkout, built once, offline, as
    ``pip wheel .`` builds it."""
    out = tmp_path_factory.mktemp('wheel')
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '-q', '-w', str(out), ROOT],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (path, ) = glob.glob(str(out / 'gcp_mm-*.whl'))
    return path


@pytest.fixture(scope='module')
def installed(wheel, tmp_path_factory):
    """The wheel installed into a folder of its own (``pip install
    --target``); returns that folder."""
    target = tmp_path_factory.mktemp('site')
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '-q', '--target', str(target), wheel],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return str(target)


def run_installed(site, cwd, args, timeout=600):
    """Run ``python ARGS`` in ``cwd`` with only ``site`` on PYTHONPATH
    (the checkout is neither the working folder nor on the path)."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PYTHONPATH'] = site
    env['PYTHONNOUSERSITE'] = '1'
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    return done


def wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        (name, ) = [n for n in z.namelist()
                    if n.endswith('.dist-info/METADATA')]
        return email.parser.Parser().parsestr(z.read(name).decode())


def test_wheel_carries_the_model_zoo_tools_and_licence(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        licence = [n for n in names if n.endswith('.dist-info/licenses/'
                                                  'LICENSE')]
        assert len(licence) == 1, sorted(n for n in names if 'dist-info' in n)
        with open(os.path.join(ROOT, 'LICENSE'), 'rb') as f:
            assert z.read(licence[0]) == f.read()
        assert b'Apache License' in z.read(licence[0])
    mim = 'gcp_mm/.mim/'
    assert mim + 'model-index.yml' in names
    checkout = {os.path.relpath(p, ROOT).replace(os.sep, '/')
                for pattern in ('configs/**/*.py', 'configs/**/*.yml',
                                'tools/**/*.py')
                for p in glob.glob(os.path.join(ROOT, pattern),
                                   recursive=True)
                if '__pycache__' not in p}
    assert len([p for p in checkout if p.startswith('configs/')]) > 100
    assert {mim + p for p in checkout} <= names, sorted(
        {mim + p for p in checkout} - names)[:10]
    for config in metafile_models().values():  # what the index points at
        assert mim + config in names, config
    assert {'configs/imagenet/metafile.yml',
            'configs/finegrained/metafile.yml'} <= checkout
    # the package itself (every module of every subpackage: setup.py's
    # find_packages), and no byte code or set-up script of a checkout
    modules = {os.path.relpath(p, ROOT).replace(os.sep, '/')
               for p in glob.glob(os.path.join(ROOT, 'gcp_mm', '**', '*.py'),
                                  recursive=True)}
    assert {'gcp_mm/__init__.py', 'gcp_mm/resources.py',
            'gcp_mm/demo/data/color_texture.py'} <= modules <= names, sorted(
                modules - names)[:10]
    assert not [n for n in names if n.endswith('.pyc')]
    assert mim + 'tools/install.sh' not in names


def test_metadata_declares_stack_licence_and_version(wheel):
    meta = wheel_metadata(wheel)
    assert meta['Name'] == 'gcp-mm'
    with open(os.path.join(ROOT, 'gcp_mm', 'version.py')) as f:
        version = re.search(r"__version__ = '(.+)'", f.read()).group(1)
    assert meta['Version'] == version
    assert meta['License-Expression'] == 'Apache-2.0'
    assert meta.get_all('License-File') == ['LICENSE']
    requires = [Requirement(r) for r in meta.get_all('Requires-Dist')]
    core = {r.name: r for r in requires if r.marker is None}
    assert {'onedl-mmengine', 'onedl-mmcv', 'onedl-mmdetection',
            'onedl-mmpretrain', 'torch', 'torchvision', 'pycocotools',
            'numpy', 'pillow', 'matplotlib'} <= set(core)
    extras = {}
    for r in requires:
        if r.marker is not None:
            extra = re.search(r'extra == "(\w+)"', str(r.marker)).group(1)
            extras.setdefault(extra, set()).add(r.name)
    assert extras['robustness'] == {'imagecorruptions-imaug'}
    assert extras['tensorboard'] == {'tensorboard'}
    assert {'pytest', 'ruff'} <= extras['dev']
    assert set(meta.get_all('Provides-Extra')) == set(extras)
    # every pin of the tested stack satisfies the declared ranges
    pins = {}
    with open(os.path.join(ROOT, 'requirements.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if '==' in line:
                name, pin = line.split('==')
                pins[name.strip()] = pin.strip()
    with open(os.path.join(ROOT, 'tools', 'install.sh')) as f:
        pins['onedl-mmcv'] = re.search(r'^MMCV_VERSION=(\S+)$', f.read(),
                                       re.M).group(1)
    declared = {r.name: r for r in requires}
    for name, pin in pins.items():
        if name in declared:
            assert declared[name].specifier.contains(pin), (name, pin)
    assert {'torch', 'onedl-mmcv', 'onedl-mmpretrain',
            'imagecorruptions-imaug'} <= set(pins) & set(declared)


def third_party_imports():
    """Top-level modules that gcp_mm/ imports and that are not gcp_mm's or
    the standard library's."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, 'gcp_mm', '**', '*.py'),
                          recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name.split('.')[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split('.')[0])
    return {m for m in found
            if m != 'gcp_mm' and m not in sys.stdlib_module_names}


def test_every_imported_package_is_declared(wheel):
    """Each third-party module the package imports comes from a declared
    distribution (core or extra) or from one that a declared distribution
    requires (mmcv brings opencv, mmengine pyyaml, ...). The test
    environment's installed distributions say which provides what."""
    names = {canonicalize_name(Requirement(r).name)
             for r in wheel_metadata(wheel).get_all('Requires-Dist')}
    reachable = set(names)
    for name in names:
        try:
            reachable.update(canonicalize_name(Requirement(r).name)
                             for r in metadata.requires(name) or ()
                             if 'extra ==' not in r)
        except metadata.PackageNotFoundError:
            pass
    providers = metadata.packages_distributions()
    imported = third_party_imports()
    assert {'torch', 'mmengine', 'mmpretrain', 'numpy'} <= imported
    for module in imported:
        dists = {canonicalize_name(d) for d in providers.get(module, ())}
        assert dists, f'{module} is imported but not installed'
        assert dists & reachable, (
            f'gcp_mm imports {module} (from {sorted(dists)}), which no '
            'declared requirement brings')


def test_installed_wheel_works_outside_the_checkout(wheel, installed,
                                                    tmp_path):
    """From another folder, with only the installed copy on the path:
    mmpretrain lists the zoo, get_model builds and loads weights, the
    inferencer classifies a real photo, all from gcp_mm/.mim."""
    ckpt = tmp_path / 'r18.pth'
    code = textwrap.dedent(f'''
        import json, warnings
        import torch
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import gcp_mm
        import mmpretrain
        from mmpretrain import ImageClassificationInferencer, get_model
        from mmpretrain.apis import ModelHub
        from gcp_mm.resources import config_root

        model = get_model({MODEL!r})  # built from the config, no weights
        state = model.state_dict()
        bias = torch.zeros_like(state['head.fc.bias'])
        bias[{WINNER}] = 1e4  # decisive whatever the image
        state['head.fc.bias'] = bias
        torch.save(dict(state_dict=state), {str(ckpt)!r})
        loaded = get_model({MODEL!r}, pretrained={str(ckpt)!r})
        fresh = get_model({MODEL!r})
        inferencer = ImageClassificationInferencer(
            {MODEL!r}, pretrained={str(ckpt)!r})
        (result, ) = inferencer({PHOTO!r})
        import sys
        print('\\nRESULT ' + json.dumps(dict(
            file=gcp_mm.__file__, version=gcp_mm.__version__,
            modules={{name: getattr(module, '__file__', None)
                     for name, module in sys.modules.items()
                     if name.split('.')[0] == 'gcp_mm'}},
            root=config_root(),
            config=ModelHub.get({MODEL!r}).config.filename,
            warnings=[str(w.message) for w in caught
                      if 'gcp-mm' in str(w.message)],
            gcp=mmpretrain.list_models('*gcp*'),
            all=mmpretrain.list_models(),
            loaded_bias=loaded.head.fc.bias.tolist(),
            fresh_bias=fresh.head.fc.bias.tolist(),
            same_backbone=torch.equal(
                loaded.backbone.conv1.weight,
                state['backbone.conv1.weight']),
            label=result['pred_label'], cls=result['pred_class'],
            scores=float(result['pred_scores'].sum()),
            n_scores=len(result['pred_scores']))))
        ''')
    work = tmp_path / 'elsewhere'
    work.mkdir()
    done = run_installed(installed, work, ['-c', code])
    # the result line, wherever mmengine's progress output put it
    (line, ) = [line for line in done.stdout.splitlines()
                if 'RESULT ' in line]
    out = json.loads(line.split('RESULT ', 1)[1])
    package = os.path.join(installed, 'gcp_mm')
    assert out['file'] == os.path.join(package, '__init__.py')
    # no submodule came from elsewhere (an editable install's finder
    # would serve what the installed copy lacks)
    assert {name: file for name, file in out['modules'].items()
            if file and not file.startswith(package + os.sep)} == {}
    assert out['version'] == wheel_metadata(wheel)['Version']
    assert out['root'] == os.path.join(package, '.mim')
    assert out['config'] == os.path.join(package, '.mim', 'configs',
                                         'imagenet', 'resnet18_gcp_lrnorm.py')
    assert out['warnings'] == []
    models = metafile_models('Image Classification')  # mmpretrain's
    assert len(models) > 50
    assert out['gcp'] == sorted(n for n in models if 'gcp' in n)
    assert set(models) <= set(out['all'])
    expected_bias = [0.0] * 1000
    expected_bias[WINNER] = 1e4
    assert out['loaded_bias'] == expected_bias
    assert out['fresh_bias'] != expected_bias
    assert out['same_backbone']
    assert out['label'] == WINNER
    assert out['cls'] == IMAGENET_CATEGORIES[WINNER]
    assert out['n_scores'] == 1000 and abs(out['scores'] - 1) < 1e-4


def test_installed_converter_finds_the_zoo_configs(installed, tmp_path):
    """tools/convert_checkpoint.py as the wheel carries it, run from
    another folder: it finds configs/imagenet inside the package."""
    from gcp_mm.testing import reference_net, save_released
    src, dst = tmp_path / 'r18.pth.tar', tmp_path / 'r18.pth'
    save_released(reference_net('resnet18', 'gcp'), src, 'resnet18')
    tool = os.path.join(installed, 'gcp_mm', '.mim', 'tools',
                        'convert_checkpoint.py')
    work = tmp_path / 'elsewhere'
    work.mkdir()
    done = run_installed(installed, work, [tool, str(src), str(dst)])
    config = os.path.join(installed, 'gcp_mm', '.mim', 'configs', 'imagenet',
                          'resnet18_gcp_lrnorm.py')
    assert f'(model of {config})' in done.stdout
    assert dst.is_file()


def test_installed_demo_runs_from_its_own_configs(installed, tmp_path):
    """tools/demo.py as the wheel carries it, from another folder, at a
    tiny size: its runs are the configs inside the package."""
    tool = os.path.join(installed, 'gcp_mm', '.mim', 'tools', 'demo.py')
    work = tmp_path / 'elsewhere'
    work.mkdir()
    run_installed(installed, work, [
        tool, '--work-dir', 'demo', '--epochs', '1', '--size', '32',
        '--train-per-class', '2', '--val-per-class', '1', '--lr-factors',
        '1', '--landscape-interval', '0', '--det-epochs', '0'])
    with open(work / 'demo' / 'summary.json') as f:
        summary = json.load(f)
    assert set(summary['classification']) == {'gap', 'gcp'}
    # the run's config as mmengine dumps it: the package's demo config
    assert list((work / 'demo').glob(
        'resnet18_gcp_lr*/resnet18_gcp_lradju_textures.py'))


def test_missing_index_warns_once_naming_it(installed, tmp_path):
    """An install whose index is gone says so at import, once, with the
    path, instead of an empty list_models in silence."""
    broken = tmp_path / 'site'
    shutil.copytree(os.path.join(installed, 'gcp_mm'), broken / 'gcp_mm')
    index = broken / 'gcp_mm' / '.mim' / 'model-index.yml'
    index.unlink()
    code = textwrap.dedent('''
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import gcp_mm
            from gcp_mm.models.hub import register_models
            again = register_models()
        import mmpretrain
        print(json.dumps(dict(
            again=again, gcp=mmpretrain.list_models('*gcp*'),
            warnings=[str(w.message) for w in caught
                      if 'gcp-mm' in str(w.message)])))
        ''')
    done = run_installed(str(broken), tmp_path, ['-c', code])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out['again'] is False and out['gcp'] == []
    assert len(out['warnings']) == 1, out['warnings']
    assert str(index) in out['warnings'][0]


def test_editable_install_reads_the_checkout(tmp_path):
    """An editable install (``pip install -e .``, as tools/install.sh does)
    copies nothing: its finder maps gcp_mm to the checkout, whose configs
    config_root() returns. Run with ``python -S`` and the environment's
    site-packages added as a plain folder, so that the environment's own
    editable install of gcp-mm (a .pth finder) is not loaded."""
    out = tmp_path / 'wheel'
    out.mkdir()
    done = subprocess.run(
        [sys.executable, '-c', 'import sys; from setuptools import '
         'build_meta; print(build_meta.build_editable(sys.argv[1]))',
         str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    editable = str(out / done.stdout.strip().splitlines()[-1])
    with zipfile.ZipFile(editable) as z:
        assert not [n for n in z.namelist() if n.startswith('gcp_mm/')]
    site_dir = tmp_path / 'site'
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '-q', '--target', str(site_dir), editable],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    code = textwrap.dedent(f'''
        import site, sys
        site.addsitedir({str(site_dir)!r})  # its .pth installs the finder
        sys.path.append({sysconfig.get_paths()['purelib']!r})
        import gcp_mm, mmpretrain
        from gcp_mm.resources import config_root
        print(gcp_mm.__file__)
        print(config_root())
        print(len(mmpretrain.list_models('*gcp*')))
        ''')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    done = subprocess.run([sys.executable, '-S', '-c', code], cwd=tmp_path,
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    file, root, listed = done.stdout.strip().splitlines()[-3:]
    assert file == os.path.join(ROOT, 'gcp_mm', '__init__.py')
    assert root == ROOT
    assert int(listed) == sum('gcp' in n for n in
                              metafile_models('Image Classification'))
    assert not os.path.exists(os.path.join(ROOT, 'gcp_mm', '.mim'))


def test_citation_names_the_paper_as_docs_reference_does():
    """CITATION.cff (CFF 1.2.0) and the README's BibTeX cite the paper
    that docs/reference.md describes, with its authors in order, and the
    iSQRT-COV paper it builds on."""
    with open(os.path.join(ROOT, 'docs', 'reference.md')) as f:
        intro = ' '.join(f.read().split('## 1.')[0].split())
    found = re.search(r'paper "([^"]+)" \(([^;]+); arXiv (\S+)\)', intro)
    title, surnames, arxiv = found.groups()
    surnames = [s.strip() for s in surnames.split(',')]
    with open(os.path.join(ROOT, 'CITATION.cff')) as f:
        cff = yaml.safe_load(f)
    assert cff['cff-version'] == '1.2.0'
    assert {'message', 'title', 'authors'} <= set(cff)
    assert cff['license'] == 'Apache-2.0'
    paper = cff['preferred-citation']
    assert ' '.join(paper['title'].split()) == title
    assert [a['family-names'] for a in paper['authors']] == surnames
    assert paper['year'] == 2020 and arxiv in paper['url']
    (isqrt, ) = cff['references']
    assert [a['family-names'] for a in isqrt['authors']] == [
        'Li', 'Xie', 'Wang', 'Gao']
    assert isqrt['year'] == 2018
    with open(os.path.join(ROOT, 'README.md')) as f:
        readme = f.read()
    bibtex = ' '.join(readme.split('## Citation')[1].split('## ')[0].split())
    for entry in (paper, isqrt):
        words = ' '.join(entry['title'].split()).replace('CNNs', '{CNNs}')
        assert words in bibtex, entry['title']
    assert '[Apache 2.0 licence](LICENSE)' in readme
