# MobileNetV2 recipes (docs/reference.md section 3): batch 96 (8 GPUs x 12)
# unless a schedule says otherwise, SGD momentum 0.9, weight decay 4e-5;
# each schedule sets its learning rates and epochs.
_base_ = './common.py'
train_dataloader = dict(batch_size=12)
optim_wrapper = dict(optimizer=dict(weight_decay=4e-5))
auto_scale_lr = dict(base_batch_size=96)
