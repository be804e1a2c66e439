"""On a GPU: mmengine's AmpOptimWrapper (fp16, dynamic loss scale) trains
a GCP classifier and a GCP_M Faster R-CNN (mmcv's CUDA nms / RoIAlign)
with finite losses, and a DDP step with NCCL runs through the GCP and
DropCov necks. Skipped without a GPU; `make gpu-check` gathers them."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import gcp_mm  # noqa: F401

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def amp_wrapper(model):
    from mmengine.optim import AmpOptimWrapper
    return AmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9),
        loss_scale='dynamic')


def train(model, data, wrapper, steps=3):
    losses = []
    for _ in range(steps):
        losses.append(model.train_step(data, wrapper)['loss'].item())
    scale = wrapper.loss_scaler.get_scale()
    return losses, scale


def test_amp_trains_gcp_classifier_on_cuda():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(os.path.join(
        ROOT, 'configs', 'imagenet', 'resnet50_gcp_lrnorm.py'))
    cfg.model.head.num_classes = 10
    model = MODELS.build(cfg.model).cuda().train()
    data = dict(inputs=[torch.rand(3, 112, 112) * 255 for _ in range(4)],
                data_samples=[DataSample().set_gt_label(i) for i in range(4)])
    neck_weight = model.neck.reduction[0].weight.detach().clone()
    losses, scale = train(model, data, amp_wrapper(model))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert 1.0 <= scale <= 2.0**24
    assert not torch.equal(model.neck.reduction[0].weight, neck_weight)


def test_amp_trains_gcpm_faster_rcnn_on_cuda():
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    cfg = Config.fromfile(os.path.join(ROOT, 'configs',
                                       'faster_rcnn_r50_gcpm.py'))
    model = MODELS.build(cfg.model).cuda().train()
    data = demo_mm_inputs(batch_size=2, image_shapes=[(3, 256, 256)] * 2,
                          num_items=[3, 3], num_classes=10)
    losses, scale = train(model, data, amp_wrapper(model), steps=2)
    assert all(torch.isfinite(torch.tensor(losses)))
    assert 1.0 <= scale <= 2.0**24


NCCL_STEP = """
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gcp_mm.models.necks import DropCovPooling, GlobalCovariancePooling

dist.init_process_group('nccl', init_method='file://' + sys.argv[1],
                        rank=0, world_size=1)
torch.cuda.set_device(0)
for neck in (GlobalCovariancePooling(16, reduced_channels=8),
             DropCovPooling(16, reduced_channels=8, rate_scale=0.0)):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), neck,
                                torch.nn.Linear(36, 4)).cuda()
    ddp = DistributedDataParallel(model, device_ids=[0])
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        loss = ddp(torch.randn(2, 3, 6, 6, device='cuda')).square().sum()
        loss.backward()
        optimizer.step()
    assert torch.isfinite(loss).item()
dist.destroy_process_group()
print('nccl steps done')
"""


def test_ddp_step_with_nccl_on_cuda(tmp_path):
    done = subprocess.run(
        [sys.executable, '-c', NCCL_STEP, str(tmp_path / 'store')],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == 'nccl steps done'
