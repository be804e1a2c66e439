# CUB-200-2011 (mmpretrain's CUB: images/, images.txt,
# image_class_labels.txt, train_test_split.txt) read as the iSQRT-COV
# fine-tuning code reads it (docs/fine_grained.md): PIL decoding, PIL
# bilinear Resize(448) of the short side, CenterCrop(448); training adds a
# horizontal flip. Final evaluation: the centre crop and its mirror, scores
# averaged (tools/test.py --tta).
dataset_type = 'CUB'
data_root = 'data/CUB_200_2011'

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
random_flip = dict(type='RandomFlip', prob=0.5, direction='horizontal')
pack = dict(type='PackInputs')
# the image and its mirror, scores averaged
flip_tta = dict(
    type='TestTimeAug',
    transforms=[[
        dict(type='RandomFlip', prob=0.),
        dict(type='RandomFlip', prob=1., direction='horizontal'),
    ], [pack]])
train_pipeline = [load_image, *resize_crop, random_flip, pack]
test_pipeline = [load_image, *resize_crop, pack]
tta_pipeline = [load_image, *resize_crop, flip_tta]
tta_model = dict(type='AverageClsScoreTTA')

loader = dict(batch_size=10, num_workers=4, persistent_workers=True)
train_dataloader = dict(
    **loader,
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    **loader,
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
