_base_ = [
    '_base_/models/mobilenet_v2_gcp128.py',
    '_base_/recipes/mobilenet_v2_lrfast.py',
    'mmpretrain::_base_/default_runtime.py',
]
