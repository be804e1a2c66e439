# The zoo's GCP ResNet-50 (configs/imagenet), set up for fine-tuning as the
# iSQRT-COV authors do (docs/fine_grained.md): the backbone and the GCP
# reduction load the ImageNet GCP weights; the classifier is new, an nn.Linear
# on the 256-d GCP features with PyTorch's default initialisation (the head
# keeps init_cfg=None and nothing is loaded into it). The checkpoint is what
# tools/convert_checkpoint.py writes from the released file, or a
# configs/imagenet/resnet50_gcp_*.py training checkpoint; set both paths to use
# another.
_base_ = '../../../imagenet/_base_/models/resnet50_gcp.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_gcp.pth',
            prefix='backbone.')),
    neck=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_gcp.pth',
            prefix='neck.')))
