# The zoo's ResNet-18 GAP lradju (../imagenet/resnet18_gap_lradju.py: its
# model, recipe and runtime) on the demo's 8 texture classes.
_base_ = [
    '../imagenet/_base_/models/resnet18_gap.py',
    '_base_/textures_lradju.py'
]
model = dict(head=dict(num_classes=8))
