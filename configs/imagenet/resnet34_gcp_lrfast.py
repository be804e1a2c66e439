_base_ = [
    '_base_/models/resnet34_gcp.py',
    '_base_/recipes/resnet_lrfast.py',
    'mmpretrain::_base_/default_runtime.py',
]
