# MobileNetV2 1.0x GCP with a 128-d reduction (head width d(d+1)/2).
_base_ = './mobilenet_v2_gcp.py'
gcp_dim = 128
model = dict(
    neck=dict(reduced_channels=gcp_dim),
    head=dict(in_channels=gcp_dim * (gcp_dim + 1) // 2))
