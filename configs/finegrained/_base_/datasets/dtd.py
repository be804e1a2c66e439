# DTD, the Describable Textures Dataset (mmpretrain's DTD: images/<class>/,
# imdb/imdb.mat; 47 classes), trained on train+val and tested on test.
# The GCP sources give no DTD recipe: gcp-mm's choice is CUB's (./cub.py,
# docs/fine_grained.md): PIL decoding, PIL bilinear Resize(448) of the
# short side, CenterCrop(448); training adds a horizontal flip. Final
# evaluation: the centre crop and its mirror (tools/test.py --tta).
_base_ = './cub.py'
dataset_type = 'DTD'
data_root = 'data/dtd'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
