# Your own data set as class folders (mmpretrain's CustomDataset):
#   <data_root>/train/<class name>/<image>   training
#   <data_root>/val/<class name>/<image>     validation and testing
# Classes are numbered by the sorted folder names, so train/ and val/ need
# the same class folders. Preprocessing as for CUB (docs/fine_grained.md):
# PIL decoding, PIL bilinear Resize(448) of the short side, CenterCrop(448);
# training adds a horizontal flip; final evaluation averages the centre
# crop and its mirror (tools/test.py --tta). data_root is set by the
# configs/finegrained/*_custom.py files.
dataset_type = 'CustomDataset'

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
    dict(type='ResizeEdge', scale=448, edge='short', backend='pillow'),
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
        type=dataset_type, data_prefix='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_prefix='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
# top-5 needs at least 5 classes; top-1 is what the benchmarks report
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
