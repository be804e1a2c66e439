# Stanford Cars (mmpretrain's StanfordCars: cars_train/, cars_test/ and
# devkit/*.mat, or car_ims/ and cars_annos.mat; 196 classes) read as the
# iSQRT-COV fine-tuning code reads it (docs/fine_grained.md): PIL decoding,
# PIL bilinear Resize((448, 448)) of the whole image, no crop; training adds
# a horizontal flip. Final evaluation: the resized image and its mirror,
# scores averaged (tools/test.py --tta).
_base_ = './cub.py'
dataset_type = 'StanfordCars'
data_root = 'data/Stanford_Cars'

resize = dict(
    type='Resize',
    scale=(448, 448),
    keep_ratio=False,
    interpolation='bilinear',
    backend='pillow')
# cub.py's steps around the resize
train_pipeline = [
    {{_base_.load_image}}, resize, {{_base_.random_flip}}, {{_base_.pack}}
]
test_pipeline = [{{_base_.load_image}}, resize, {{_base_.pack}}]
tta_pipeline = [{{_base_.load_image}}, resize, {{_base_.flip_tta}}]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
