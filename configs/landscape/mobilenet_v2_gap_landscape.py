# MobileNetV2 GAP (LRnorm) with the paper's landscape measurement.
_base_ = [
    '../imagenet/mobilenet_v2_gap_lrnorm.py',
    '_base_/mobilenet_v2_landscape.py',
]
# the measurement (tools/train.py adds the safeguards, docs/training.md)
custom_hooks = [{{_base_.landscape_hook}}]

# The reference's landscape networks have no dropout (docs/reference.md
# section 5): the classifier's Dropout(0.2) of the ImageNet config is off.
model = dict(head=dict(dropout_rate=0.0))
