# Faster R-CNN R-50 FPN 1x on COCO with the GCP_M backbone: GCP
# ImageNet weights, layer4 at stride 1 + stride-2 max pooling
# (REFERENCE.md section 7). Convert the released weights first:
#   python tools/convert_checkpoint.py <released>.pth.tar \
#       checkpoints/resnet50_gcp.pth
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='GCPResNet',
        variant='M',
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/resnet50_gcp.pth')))
# FiniteCheckOptimWrapper (gcp_mm): NaN/Inf never reaches the weights
optim_wrapper = dict(type='FiniteCheckOptimWrapper')
# lr 0.02 for 16 images (8 GPUs x 2), rescaled for other batch sizes
auto_scale_lr = dict(enable=True, base_batch_size=16)
