# MobileNetV2 LRadju: piecewise linear 0.06 -> 0.01 over e in [0, 50],
# 0.01 -> 0.001 over (50, 100], 0.001 -> 1e-5 over (100, 150]; 150 epochs,
# batch 192 (8 GPUs x 24). mmengine's LinearLR is chainable: each piece
# starts (factor 1) from the value the previous one ended on.
_base_ = './mobilenet_v2_common.py'
train_dataloader = dict(batch_size=24)
optim_wrapper = dict(optimizer=dict(lr=0.06))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.01 / 0.06,
         begin=0, end=51, by_epoch=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.1,
         begin=50, end=101, by_epoch=True),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.01,
         begin=100, end=151, by_epoch=True),
]
train_cfg = dict(max_epochs=150)
auto_scale_lr = dict(base_batch_size=192)
