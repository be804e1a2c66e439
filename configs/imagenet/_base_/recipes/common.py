# What every ImageNet recipe shares (docs/reference.md section 3): the data
# read as the reference reads it and mmpretrain's SGD (momentum 0.9) schedule
# file as the starting point (tools/train.py adds the training safeguards,
# docs/training.md).
_base_ = [
    '../datasets/imagenet_pillow.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
auto_scale_lr = dict(base_batch_size=256)
