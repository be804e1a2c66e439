# MobileNetV2 GCP (LRnorm) with the paper's landscape measurement.
_base_ = [
    '../imagenet/mobilenet_v2_gcp_lrnorm.py',
    '_base_/mobilenet_v2_landscape.py',
]
