_base_ = [
    '_base_/models/shufflenet_v2_gap.py',
    '_base_/recipes/shufflenet_v2_lrfast.py',
    'mmpretrain::_base_/default_runtime.py',
]
