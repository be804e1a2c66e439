# ResNet-50 with iSQRT-COV pooling: ResNet-18's GCP head (./resnet18_gcp.py)
# on a 50-layer backbone, reducing 2048 channels to 256.
_base_ = './resnet18_gcp.py'
model = dict(backbone=dict(depth=50), neck=dict(in_channels=2048))
