# MobileNetV2 LRnorm (docs/reference.md section 3): lr(e) = 0.045 * 0.98^e,
# 400 epochs (the poster), batch 96 (8 GPUs x 12), SGD momentum 0.9,
# weight decay 4e-5.
_base_ = [
    '../datasets/imagenet_pillow.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
train_dataloader = dict(batch_size=12)
# FiniteCheckOptimWrapper (gcp_mm): NaN/Inf never reaches the weights
optim_wrapper = dict(
    type='FiniteCheckOptimWrapper',
    optimizer=dict(lr=0.045, weight_decay=4e-5))
param_scheduler = [dict(type='ExponentialLR', gamma=0.98, by_epoch=True)]
train_cfg = dict(max_epochs=400)
auto_scale_lr = dict(base_batch_size=96)
