# The zoo's GCP ResNet-101 (configs/imagenet), set up for fine-tuning as the
# iSQRT-COV authors do (docs/fine_grained.md): the backbone and the GCP
# reduction load the ImageNet GCP weights; the classifier is new, an nn.Linear
# on the 256-d GCP features with PyTorch's default initialisation (the head
# keeps init_cfg=None and nothing is loaded into it). The checkpoint is what
# tools/convert_checkpoint.py writes from the released file, or a
# configs/imagenet/resnet101_gcp_*.py training checkpoint; on the command
# line, set both parts' checkpoint to use another.
# (ResNet-50's fine-tuning model, ./resnet50_gcp.py, at depth 101)
_base_ = './resnet50_gcp.py'

# stated once for both parts ('__': not a config key, see ./resnet50_gcp.py)
__imagenet_checkpoint = 'checkpoints/resnet101_gcp.pth'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint=__imagenet_checkpoint)),
    neck=dict(init_cfg=dict(checkpoint=__imagenet_checkpoint)))
