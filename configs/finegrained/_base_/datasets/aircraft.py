# FGVC-Aircraft (mmpretrain's FGVCAircraft: data/images/,
# data/images_variant_{trainval,test}.txt; 100 variants) read as the
# iSQRT-COV fine-tuning code reads it (docs/fine_grained.md): PIL decoding,
# PIL bilinear Resize((512, 512)), CenterCrop(448); training adds a
# horizontal flip. Final evaluation: the centre crop and its mirror, scores
# averaged (tools/test.py --tta).
_base_ = './cub.py'
dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc-aircraft-2013b'

resize_crop = [
    dict(
        type='Resize',
        scale=(512, 512),
        keep_ratio=False,
        interpolation='bilinear',
        backend='pillow'),
    dict(type='CenterCrop', crop_size=448),
]
# cub.py's steps around the resize
train_pipeline = [
    {{_base_.load_image}}, *resize_crop, {{_base_.random_flip}},
    {{_base_.pack}}
]
test_pipeline = [{{_base_.load_image}}, *resize_crop, {{_base_.pack}}]
tta_pipeline = [{{_base_.load_image}}, *resize_crop, {{_base_.flip_tta}}]

train_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root, split='trainval',
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root, split='test',
    pipeline=test_pipeline))
test_dataloader = val_dataloader
