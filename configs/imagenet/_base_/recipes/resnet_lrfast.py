# ResNet LRfast (docs/reference.md section 3): lr(e) = 0.1 * (1 - (e-1)/52)^11,
# 30 epochs, batch 256 (8 GPUs x 32), SGD momentum 0.9, weight decay 1e-4.
# = 0.1 (53/52)^11 (1 - e/53)^11: PolyLR with T = end - 1 = 53, starting
# from lr(0) = 0.1 (53/52)^11 = 0.1233 as the reference did.
_base_ = './common.py'
optim_wrapper = dict(optimizer=dict(lr=0.1 * (53 / 52)**11))
param_scheduler = [dict(type='PolyLR', power=11, end=54, by_epoch=True)]
train_cfg = dict(max_epochs=30)
