# ResNet LRadju (docs/reference.md section 3): lr(e) = 0.1 * (1 - (e-1)/49)^2,
# 50 epochs, batch 256 (8 GPUs x 32), SGD momentum 0.9, weight decay 1e-4.
# = 0.1 (50/49)^2 (1 - e/50)^2: PolyLR with T = end - 1 = 50, starting from
# lr(0) = 0.1 (50/49)^2 = 0.1041 as the reference did.
_base_ = './common.py'
optim_wrapper = dict(optimizer=dict(lr=0.1 * (50 / 49)**2))
param_scheduler = [dict(type='PolyLR', power=2, end=51, by_epoch=True)]
train_cfg = dict(max_epochs=50)
