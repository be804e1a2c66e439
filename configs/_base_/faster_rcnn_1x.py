# Faster R-CNN R-50 FPN 1x on COCO: mmdet's
# faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py (its model and data set) with
# gcp-mm's detection recipe (detection_1x.py).
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py',
          'mmdet::_base_/datasets/coco_detection.py', './detection_1x.py']
