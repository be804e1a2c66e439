# The zoo's ResNet LRadju recipe and runtime on the demo's data
# (docs/demo.md): generated 48 px colour textures whose 8 classes differ
# only in second-order colour statistics (gcp_mm.demo.data.color_texture),
# in mmpretrain's class-folder layout; tools/demo.py writes them below its
# work dir and sets data_root. LRadju runs in 8 epochs (PolyLR's
# T = end - 1 scaled from 50 to 8), batch 32 on one process with the rate
# scaled from the recipe's 256.
_base_ = [
    '../../imagenet/_base_/recipes/resnet_lradju.py',
    'mmpretrain::_base_/default_runtime.py'
]
data_root = 'work_dirs/demo/data'
# read as the zoo reads ImageNet (../../imagenet/_base_/datasets/), at 48 px
load_image = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation')
pack = dict(type='PackInputs')
train_pipeline = [
    load_image,
    dict(type='RandomResizedCrop', scale=48, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'), pack
]
test_pipeline = [
    load_image,
    dict(type='ResizeEdge', scale=55, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=48), pack
]
loader = dict(num_workers=1, persistent_workers=True)
folders = dict(type='CustomDataset', data_root=data_root)
train_dataloader = dict(
    **loader,
    dataset=dict(
        _delete_=True, **folders, data_prefix='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    **loader,
    dataset=dict(
        _delete_=True, **folders, data_prefix='val',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
data_preprocessor = dict(num_classes=8)
auto_scale_lr = dict(enable=True)
param_scheduler = [dict(type='PolyLR', power=2, end=9, by_epoch=True)]
train_cfg = dict(max_epochs=8)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=8, max_keep_ckpts=1),
    logger=dict(interval=4))
randomness = dict(seed=0)
