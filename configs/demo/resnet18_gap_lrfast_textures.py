# The zoo's ResNet-18 GAP lrfast (../imagenet/resnet18_gap_lrfast.py: its
# model, recipe and runtime) on the demo's 8 texture classes.
_base_ = [
    '../imagenet/_base_/models/resnet18_gap.py',
    '_base_/textures_lrfast.py'
]
model = dict(head=dict(num_classes=8))
