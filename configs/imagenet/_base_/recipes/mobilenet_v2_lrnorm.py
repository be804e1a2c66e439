# MobileNetV2 LRnorm: lr(e) = 0.045 * 0.98^e, 400 epochs (the poster).
_base_ = './mobilenet_v2_common.py'
optim_wrapper = dict(optimizer=dict(lr=0.045))
param_scheduler = [dict(type='ExponentialLR', gamma=0.98, by_epoch=True)]
train_cfg = dict(max_epochs=400)
