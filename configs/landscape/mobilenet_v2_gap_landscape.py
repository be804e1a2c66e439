# MobileNetV2 GAP (LRnorm) with the paper's landscape measurement.
_base_ = [
    '../imagenet/mobilenet_v2_gap_lrnorm.py',
    '_base_/mobilenet_v2_landscape.py',
]
