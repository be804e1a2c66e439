# ImageNet read as the paper's reference reads it (docs/reference.md
# section 3): PIL decoding and PIL bilinear resizing, as torchvision's
# ImageFolder + Resize(256) + CenterCrop(224) / RandomResizedCrop(224).
# mmpretrain's default cv2 path resizes without antialiasing and moves
# released weights' top-1; with these backends the test images equal
# torchvision's pixel for pixel (tests/test_configs).
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32.py'

# torchvision's loader ignores EXIF orientation
load_image = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation')
train_pipeline = [
    load_image,
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    load_image,
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
