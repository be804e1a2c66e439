# Mask R-CNN R-50 with the GCP_D backbone: the GCP ImageNet weights with
# layer4 back at stride 2 (docs/reference.md section 7).
_base_ = './mask_rcnn_r50_gcpm.py'
model = dict(backbone=dict(variant='D'))
