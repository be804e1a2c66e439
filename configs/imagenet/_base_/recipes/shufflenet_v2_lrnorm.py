# ShuffleNetV2 LRnorm recipe (REFERENCE.md section 3): lr = 0.5 * (1 - step /
# total_steps), updated every iteration, 240 epochs, batch 1024 (8 GPUs x
# 128), SGD momentum 0.9, weight decay 4e-5, ColorJitter(0.4, 0.4, 0.4).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
train_dataloader = dict(
    batch_size=128,
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=224),
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]))
optim_wrapper = dict(optimizer=dict(lr=0.5, weight_decay=4e-5))
# PolyToEndLR (gcp_mm): T = total steps exactly, for any data set size
param_scheduler = [
    dict(type='PolyToEndLR', power=1.0, eta_min=0, begin=0, end=240,
         by_epoch=True, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=240)
auto_scale_lr = dict(base_batch_size=1024)
