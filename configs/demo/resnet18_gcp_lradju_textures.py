# The zoo's ResNet-18 GCP lradju (../imagenet/resnet18_gcp_lradju.py: its
# model, recipe and runtime) on the demo's 8 texture classes.
_base_ = [
    '../imagenet/_base_/models/resnet18_gcp.py',
    '_base_/textures_lradju.py'
]
model = dict(head=dict(num_classes=8))
