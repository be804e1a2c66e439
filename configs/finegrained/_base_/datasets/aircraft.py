# FGVC-Aircraft (mmpretrain's FGVCAircraft: data/images/,
# data/images_variant_{trainval,test}.txt; 100 variants) read as the
# iSQRT-COV fine-tuning code reads it (docs/fine_grained.md): PIL decoding,
# PIL bilinear Resize((512, 512)), CenterCrop(448); training adds a
# horizontal flip. Final evaluation: the centre crop and its mirror, scores
# averaged (tools/test.py --tta).
dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc-aircraft-2013b'

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# torchvision's loader ignores EXIF orientation
load_image = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation')
resize_crop = [
    dict(
        type='Resize',
        scale=(512, 512),
        keep_ratio=False,
        interpolation='bilinear',
        backend='pillow'),
    dict(type='CenterCrop', crop_size=448),
]
train_pipeline = [
    load_image, *resize_crop,
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [load_image, *resize_crop, dict(type='PackInputs')]
tta_pipeline = [
    load_image, *resize_crop,
    dict(
        type='TestTimeAug',
        transforms=[[
            dict(type='RandomFlip', prob=0.),
            dict(type='RandomFlip', prob=1., direction='horizontal'),
        ], [dict(type='PackInputs')]]),
]
tta_model = dict(type='AverageClsScoreTTA')

train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainval',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
