# Faster R-CNN R-50 FPN 1x on COCO (docs/reference.md section 7), as every
# detection config here trains it: mmdet's recipe (SGD lr 0.02 for 16
# images = 8 GPUs x 2, steps at epochs 8 and 11), with gcp-mm's modules
# and a guard that stops before NaN/Inf gradients reach the weights.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
optim_wrapper = dict(type='FiniteCheckOptimWrapper')
# rescaled for other batch sizes (tools/train.py --auto-scale-lr)
auto_scale_lr = dict(enable=True, base_batch_size=16)

# A bad image file (missing, empty, truncated, not decodable) stops the run
# with one line naming it ('stop'), or is skipped with a warning, counted and
# listed at the end of the epoch ('skip'; evaluation always stops).
# BadImageHook makes every data loader's image loading safe (docs/training.md);
# tools/check_data.py finds all bad files before a run.
on_bad_image = 'stop'
custom_hooks = [dict(type='BadImageHook')]
