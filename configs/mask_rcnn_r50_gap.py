# Mask R-CNN R-50, ImageNet GAP-pretrained backbone (mmdet's torchvision
# weights): the GAP column of docs/reference.md section 7.
_base_ = '_base_/mask_rcnn_1x.py'
