_base_ = [
    '_base_/models/resnet50_gcp128.py',
    '_base_/recipes/resnet_lradju.py',
    'mmpretrain::_base_/default_runtime.py',
]
