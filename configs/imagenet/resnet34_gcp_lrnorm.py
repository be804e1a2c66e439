_base_ = [
    '_base_/models/resnet34_gcp.py',
    '_base_/recipes/resnet_lrnorm.py',
    'mmpretrain::_base_/default_runtime.py',
]
