# ResNet-34 with iSQRT-COV pooling: ResNet-18's GCP head (./resnet18_gcp.py)
# on a 34-layer backbone, reducing 512 channels to 256.
_base_ = './resnet18_gcp.py'
model = dict(backbone=dict(depth=34), neck=dict(in_channels=512))
