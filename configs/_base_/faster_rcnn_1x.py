# Faster R-CNN R-50 FPN 1x on COCO (docs/reference.md section 7), as every
# detection config here trains it: mmdet's recipe (SGD lr 0.02 for 16
# images = 8 GPUs x 2, steps at epochs 8 and 11), with gcp-mm's modules
# (tools/train.py adds the training safeguards, docs/training.md).
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
# rescaled for other batch sizes (tools/train.py --auto-scale-lr)
auto_scale_lr = dict(enable=True, base_batch_size=16)
