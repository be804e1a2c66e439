# The zoo's GAP ResNet-50 baseline (configs/imagenet) with the fine-tuning
# set-up of the GCP models (docs/fine_grained.md): the backbone loads the
# ImageNet GAP weights; the classifier is a new nn.Linear(2048,
# num_classes) with PyTorch's default initialisation. The checkpoint is
# what tools/convert_checkpoint.py writes from a released GAP file, or a
# configs/imagenet/resnet50_gap_*.py training checkpoint.
_base_ = '../../../imagenet/_base_/models/resnet50_gap.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_gap.pth',
            prefix='backbone.')))
