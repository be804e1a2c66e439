# What every ImageNet recipe shares (docs/reference.md section 3): the data
# read as the reference reads it, mmpretrain's SGD (momentum 0.9) schedule
# file as the starting point, and gcp-mm's guard that stops training before
# NaN/Inf gradients reach the weights.
_base_ = [
    '../datasets/imagenet_pillow.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
optim_wrapper = dict(type='FiniteCheckOptimWrapper')
auto_scale_lr = dict(base_batch_size=256)
