# MobileNetV2 LRfast: lr(e) = 0.06 * 0.92^e, 100 epochs.
_base_ = './mobilenet_v2_common.py'
optim_wrapper = dict(optimizer=dict(lr=0.06))
param_scheduler = [dict(type='ExponentialLR', gamma=0.92, by_epoch=True)]
train_cfg = dict(max_epochs=100)
