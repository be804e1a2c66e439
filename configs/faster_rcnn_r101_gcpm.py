# Faster R-CNN R-101 with the GCP_M backbone; its weights come from
#   python tools/convert_checkpoint.py <released R-101>.pth.tar \
#       checkpoints/resnet101_gcp.pth
_base_ = './faster_rcnn_r50_gcpm.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(
    checkpoint='checkpoints/resnet101_gcp.pth')))
