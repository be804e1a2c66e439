import os
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # benchmarks/ holds the plain reference math
    sys.path.insert(0, ROOT)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Each test starts without an mmengine default scope: Runners built by
    earlier tests (mmdet, mmpretrain) must not redirect later registry
    builds. mmengine has no public API to drop a scope, so the instances a
    test created are removed afterwards."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)
