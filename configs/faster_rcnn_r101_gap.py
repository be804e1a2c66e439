# Faster R-CNN R-101 FPN 1x on COCO, ImageNet GAP-pretrained backbone
# (mmdet's torchvision weights): the GAP column of REFERENCE.md section 7.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
# FiniteCheckOptimWrapper (gcp_mm): NaN/Inf never reaches the weights
optim_wrapper = dict(type='FiniteCheckOptimWrapper')
# lr 0.02 for 16 images (8 GPUs x 2), rescaled for other batch sizes
auto_scale_lr = dict(enable=True, base_batch_size=16)
