# Faster R-CNN R-50 with the GCP_M backbone (docs/reference.md section 7):
# GCP ImageNet weights, layer4 at stride 1 + stride-2 max pooling. Convert
# the released weights first:
#   python tools/convert_checkpoint.py <released>.pth.tar \
#       checkpoints/resnet50_gcp.pth
_base_ = '_base_/faster_rcnn_1x.py'
model = dict(backbone=dict(type='GCPResNet', variant='M', init_cfg=dict(
    type='Pretrained', checkpoint='checkpoints/resnet50_gcp.pth')))
