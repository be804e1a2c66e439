# Your own data set as class folders (mmpretrain's CustomDataset):
#   <data_root>/train/<class name>/<image>   training
#   <data_root>/val/<class name>/<image>     validation and testing
# Classes are numbered by the sorted folder names, so train/ and val/ need
# the same class folders. Preprocessing is CUB's (./cub.py,
# docs/fine_grained.md):
# PIL decoding, PIL bilinear Resize(448) of the short side, CenterCrop(448);
# training adds a horizontal flip; final evaluation averages the centre
# crop and its mirror (tools/test.py --tta). data_root is set by the
# configs/finegrained/*_custom.py files.
_base_ = './cub.py'
dataset_type = 'CustomDataset'
data_root = None

# the dataset replaces CUB's, keeping its pipelines
train_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_prefix='train',
    pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_prefix='val',
    pipeline={{_base_.test_pipeline}}))
# top-5 needs at least 5 classes; top-1 is what the benchmarks report
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
