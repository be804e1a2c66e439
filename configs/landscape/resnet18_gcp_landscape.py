# ResNet-18 GCP (LRnorm) with the paper's landscape measurement.
_base_ = [
    '../imagenet/resnet18_gcp_lrnorm.py',
    '_base_/resnet18_landscape.py',
]
# the measurement (tools/train.py adds the safeguards, docs/training.md)
custom_hooks = [{{_base_.landscape_hook}}]
