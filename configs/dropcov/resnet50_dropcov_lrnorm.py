# ResNet-50 with DropCov (Wang et al., NeurIPS 2022; docs/normalisations.md):
# the GCP ResNet-50 (layer4 at stride 1, 1x1 conv 2048->256 + BN + ReLU)
# whose matrix square root is replaced by an adaptive channel dropout
# before the covariance (training only), trained with the ResNet LRnorm
# recipe (100 epochs, batch 256, SGD), as the authors' ImageNet runs.
# Published top-1: 78.19.
_base_ = [
    '../imagenet/_base_/models/resnet50_gcp.py',
    '../imagenet/_base_/recipes/resnet_lrnorm.py',
    'mmpretrain::_base_/default_runtime.py',
]

model = dict(
    neck=dict(
        _delete_=True,
        type='DropCovPooling',
        in_channels=2048,
        reduced_channels=256))
