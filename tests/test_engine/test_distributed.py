"""DDP through torchrun with 2 CPU processes (gloo): a GCP classifier and
a GCP_M Faster R-CNN train a few iterations and both ranks end with
identical parameters; the classifier's run also measures the landscape
(gcp_mm.engine.LandscapeHook under DDP)."""
import os
import subprocess
import sys

import torch

from gcp_mm.testing import classifier_config, detector_config, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# A hook that writes every rank's final weights, imported by the configs
# through custom_imports from the test's temporary folder.
DUMP_HOOK = '''
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DumpRankWeightsHook(Hook):

    def _dump(self, runner, tag):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        # parameters; BN running statistics are per rank under DDP
        # (mmengine's broadcast_buffers=False) unless sync_bn is set
        torch.save({k: v.detach().clone()
                    for k, v in model.named_parameters()},
                   f'{runner.work_dir}/{tag}{runner.rank}.pth')

    def before_train(self, runner):
        self._dump(runner, 'init')

    def after_run(self, runner):
        self._dump(runner, 'rank')
'''



def run_two_ranks(cfg, tmp_path):
    (tmp_path / 'ddp_dump_hook.py').write_text(DUMP_HOOK)
    cfg.custom_imports = dict(imports=['gcp_mm', 'ddp_dump_hook'],
                              allow_failed_imports=False)
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
        dict(type='DumpRankWeightsHook')]
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg_file = str(tmp_path / 'ddp.py')
    cfg.dump(cfg_file)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), ROOT, os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()),
         os.path.join(ROOT, 'tools', 'train.py'), cfg_file, '--launcher',
         'pytorch'], capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    weights = [torch.load(f'{cfg.work_dir}/rank{r}.pth', weights_only=True)
               for r in (0, 1)]
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), key
    init = torch.load(f'{cfg.work_dir}/init0.pth', weights_only=True)
    changed = [k for k, v in init.items() if not torch.equal(v, weights[0][k])]
    assert changed, 'training did not update any parameter'
    return weights[0]


def test_gcp_classifier_ranks_agree_and_rank_0_writes_the_landscape(
        tmp_path):
    """With the LandscapeHook at every iteration (the hook's DDP run): both
    ranks train and measure (collectives), rank 0 alone writes."""
    import json

    from gcp_mm.demo.data import make_color_texture_dataset
    make_color_texture_dataset(str(tmp_path / 'data'), 2, 1, size=32)
    cfg = classifier_config(str(tmp_path / 'data'), str(tmp_path / 'work'),
                           size=32, epochs=1)
    cfg.train_dataloader.batch_size = 4  # 2 iterations per rank
    cfg.custom_hooks = [dict(type='LandscapeHook', interval=1, num_steps=2,
                             split_module='backbone.maxpool',
                             step_range=(0.1, 75.0))]
    weights = run_two_ranks(cfg, tmp_path)
    assert 'neck.reduction.0.weight' in weights
    records = list((tmp_path / 'work').glob('*/landscape.jsonl'))
    assert len(records) == 1
    lines = records[0].read_text().splitlines()
    assert [json.loads(line)['iter'] for line in lines] == [0, 1]


def test_gcpm_faster_rcnn_ranks_agree(tmp_path):
    from gcp_mm.demo.data import make_coco_shapes_dataset
    make_coco_shapes_dataset(str(tmp_path / 'coco'), num_train=4, num_val=2,
                             size=64)
    cfg = detector_config(
        os.path.join(ROOT, 'configs', 'faster_rcnn_r50_gcpm.py'),
        str(tmp_path / 'coco'), str(tmp_path / 'work'), size=64,
        epochs=1)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.depth = 18
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.train_dataloader.batch_size = 1  # 2 iterations per rank
    cfg.train_cfg.val_interval = 2  # no validation
    weights = run_two_ranks(cfg, tmp_path)
    assert any(k.startswith('backbone.layer4') for k in weights)
