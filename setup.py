"""gcp-mm's package: the ``gcp_mm`` modules plus, in a built wheel, the
model zoo under ``gcp_mm/.mim`` (configs/, model-index.yml, tools/), where
OpenMMLab packages keep theirs and where ``gcp_mm.resources.config_root``
finds them. An editable install (``pip install -e .``, as tools/install.sh
does) copies nothing: it reads the checkout."""
import os
import re
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
# What travels inside the package, relative to the checkout's root (the
# tools run from there too; install.sh sets up a checkout, not a package).
MIM_FILES = ('configs', 'model-index.yml', 'tools')
NOT_CARRIED = ('__pycache__', '*.pyc', 'install.sh')


def read_version() -> str:
    """__version__ of gcp_mm/version.py, read as text: importing gcp_mm
    here would need its whole stack at build time."""
    with open(os.path.join(HERE, 'gcp_mm', 'version.py')) as f:
        found = re.search(r"^__version__ = '([^']+)'$", f.read(), re.M)
    if found is None:
        raise RuntimeError("gcp_mm/version.py defines no __version__ = '...'")
    return found.group(1)


def read_readme() -> str:
    with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


class BuildWithModelZoo(build_py):
    """build_py that also copies MIM_FILES into gcp_mm/.mim of the build
    (a fresh copy each time: a config removed from the checkout must not
    linger in a reused build/ folder)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):  # the checkout is imported
            return
        target = os.path.join(self.build_lib, 'gcp_mm', '.mim')
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        for name in MIM_FILES:
            src, dst = os.path.join(HERE, name), os.path.join(target, name)
            if not os.path.exists(src):
                raise FileNotFoundError(
                    f'{src} is missing: a gcp-mm wheel must carry it')
            if os.path.isdir(src):
                shutil.copytree(
                    src, dst, ignore=shutil.ignore_patterns(*NOT_CARRIED))
            else:
                shutil.copy2(src, dst)


# Lower bounds: the stack tools/install.sh installs and CI tests
# (requirements.txt), except torch and torchvision: their floor is the
# oldest release the plugin core's tests pass on, which CI tests in a
# second environment (tools/torch_floor.sh reads it from here; torch 2.2
# fails in onedl-mmengine 0.10.12). Older releases of the others are
# untested. onedl-mmcv must have its compiled ops (mmcv._ext); pip would
# build it from source without them, so install it first
# (docs/installation.md).
INSTALL_REQUIRES = [
    'onedl-mmengine>=0.10.12,<1',
    'onedl-mmcv>=2.3.6,<2.4',
    'onedl-mmdetection>=3.5.1,<4',
    'onedl-mmpretrain>=1.3.6,<2',
    'torch>=2.3.0',
    'torchvision>=0.18.0',
    'pycocotools>=2.0.11',
    'numpy',
    'pillow',
    'matplotlib',
]
EXTRAS_REQUIRE = {
    # gcp_mm.robustness: corruptions with the maintained imagecorruptions
    # fork (docs/robustness.md)
    'robustness': ['imagecorruptions-imaug>=1.1.5'],
    'tensorboard': ['tensorboard>=2.21.0'],
    # gcp_mm.deploy: ONNX export (torch's dynamo exporter needs onnx and
    # onnxscript) and the ONNX Runtime check (docs/deploy.md)
    'deploy': ['onnx>=1.23.2', 'onnxruntime>=1.32.0', 'onnxscript>=0.7.2'],
    'dev': ['pytest', 'ruff'],
}

setup(
    name='gcp-mm',
    version=read_version(),
    description='Global covariance pooling (iSQRT-COV) for mmpretrain and '
    'mmdetection',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    keywords='global covariance pooling, iSQRT-COV, second-order pooling, '
    'image classification, object detection, OpenMMLab',
    license_expression='Apache-2.0',
    license_files=['LICENSE'],
    classifiers=[
        'Development Status :: 3 - Alpha',
        'Intended Audience :: Science/Research',
        'Operating System :: POSIX :: Linux',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.11',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
    packages=find_packages(include=['gcp_mm', 'gcp_mm.*']),
    python_requires='>=3.11',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    cmdclass={'build_py': BuildWithModelZoo},
    zip_safe=False,
)
