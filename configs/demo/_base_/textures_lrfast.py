# LRfast on the demo's textures: 30 of LRadju's 50 epochs, so 5 of the
# demo's 8. The recipe's rate (../../imagenet/_base_/recipes/
# resnet_lrfast.py), and PolyLR's T = end - 1 scaled from 53 (30 epochs)
# to round(53 * 5 / 30) = 9.
_base_ = './textures_lradju.py'
optim_wrapper = dict(optimizer=dict(lr=0.1 * (53 / 52)**11))
param_scheduler = [dict(type='PolyLR', power=11, end=10, by_epoch=True)]
train_cfg = dict(max_epochs=5)
default_hooks = dict(checkpoint=dict(interval=5))
