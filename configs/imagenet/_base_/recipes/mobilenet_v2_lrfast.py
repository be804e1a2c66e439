# MobileNetV2 LRfast (docs/reference.md section 3): lr(e) = 0.06 * 0.92^e,
# 100 epochs, batch 96 (8 GPUs x 12), SGD momentum 0.9, weight decay 4e-5.
_base_ = [
    '../datasets/imagenet_pillow.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
train_dataloader = dict(batch_size=12)
# FiniteCheckOptimWrapper (gcp_mm): NaN/Inf never reaches the weights
optim_wrapper = dict(
    type='FiniteCheckOptimWrapper',
    optimizer=dict(lr=0.06, weight_decay=4e-5))
param_scheduler = [dict(type='ExponentialLR', gamma=0.92, by_epoch=True)]
train_cfg = dict(max_epochs=100)
auto_scale_lr = dict(base_batch_size=96)
