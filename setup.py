from setuptools import find_packages, setup

setup(
    name='gcp-mm',
    version='0.1.0',
    description='Global covariance pooling (iSQRT-COV) for mmpretrain and '
    'mmdetection',
    packages=find_packages(include=['gcp_mm', 'gcp_mm.*']),
    python_requires='>=3.11',
    # The stack is pinned in requirements.txt and installed by
    # tools/install.sh (onedl-mmcv needs a source build).
    install_requires=[],
)
