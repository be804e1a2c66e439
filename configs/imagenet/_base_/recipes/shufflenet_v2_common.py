# ShuffleNetV2 recipe shared by the three schedules (docs/reference.md section
# 3): batch 1024 (8 GPUs x 128), SGD lr 0.5, momentum 0.9, weight decay
# 4e-5, ColorJitter(0.4, 0.4, 0.4). lr = 0.5 * (1 - step / total_steps),
# updated every iteration; each schedule sets the epochs.
_base_ = './common.py'
train_dataloader = dict(
    batch_size=128,
    dataset=dict(pipeline=[
        dict(
            type='LoadImageFromFile',
            imdecode_backend='pillow',
            color_type='color_ignore_orientation'),
        dict(type='RandomResizedCrop', scale=224, backend='pillow'),
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]))
optim_wrapper = dict(optimizer=dict(lr=0.5, weight_decay=4e-5))
auto_scale_lr = dict(base_batch_size=1024)
