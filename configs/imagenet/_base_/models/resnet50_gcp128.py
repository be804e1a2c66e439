# ResNet-50 GCP with a 128-d reduction: Linear(8256).
_base_ = './resnet50_gcp.py'
model = dict(neck=dict(reduced_channels=128), head=dict(in_channels=8256))
