_base_ = [
    '_base_/models/mobilenet_v2_gcp128.py',
    '_base_/recipes/mobilenet_v2_lrnorm.py',
    'mmpretrain::_base_/default_runtime.py',
]
