# ResNet-101 with iSQRT-COV pooling: ResNet-18's GCP head (./resnet18_gcp.py)
# on a 101-layer backbone, reducing 2048 channels to 256.
_base_ = './resnet18_gcp.py'
model = dict(backbone=dict(depth=101), neck=dict(in_channels=2048))
