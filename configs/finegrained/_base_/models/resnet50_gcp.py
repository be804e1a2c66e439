# The zoo's GCP ResNet-50 (configs/imagenet), set up for fine-tuning as the
# iSQRT-COV authors do (docs/fine_grained.md): the backbone and the GCP
# reduction load the ImageNet GCP weights; the classifier is new, an nn.Linear
# on the 256-d GCP features with PyTorch's default initialisation (the head
# keeps init_cfg=None and nothing is loaded into it). The checkpoint is what
# tools/convert_checkpoint.py writes from the released file, or a
# configs/imagenet/resnet50_gcp_*.py training checkpoint; on the command line,
# set both parts' checkpoint to use another.
_base_ = '../../../imagenet/_base_/models/resnet50_gcp.py'

# Stated once for both parts. The leading '__' keeps the name out of the
# config (mmengine drops such names), so that no key that loads nothing is
# offered to --cfg-options.
__imagenet_checkpoint = 'checkpoints/resnet50_gcp.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint=__imagenet_checkpoint,
            prefix='backbone.')),
    neck=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=__imagenet_checkpoint,
            prefix='neck.')))
