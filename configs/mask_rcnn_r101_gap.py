# Mask R-CNN R-101, ImageNet GAP-pretrained backbone (torchvision weights).
_base_ = './mask_rcnn_r50_gap.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(
    type='Pretrained', checkpoint='torchvision://resnet101')))
