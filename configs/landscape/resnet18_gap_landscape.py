# ResNet-18 GAP (LRnorm) with the paper's landscape measurement.
_base_ = [
    '../imagenet/resnet18_gap_lrnorm.py',
    '_base_/resnet18_landscape.py',
]
# safe image loading (the ImageNet data base's hook) and the measurement
custom_hooks = [dict(type='BadImageHook'), {{_base_.landscape_hook}}]
