_base_ = [
    '_base_/models/shufflenet_v2_gcp.py',
    '_base_/recipes/shufflenet_v2_lradju.py',
    'mmpretrain::_base_/default_runtime.py',
]
