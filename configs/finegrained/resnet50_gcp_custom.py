# GCP ResNet-50 fine-tuned on your own class-folder data set with the iSQRT-COV
# authors' recipe (docs/fine_grained.md#your-own-data-set). Set the two
# values below (or pass the same four keys with --cfg-options).
_base_ = [
    '_base_/models/resnet50_gcp.py',
    '_base_/datasets/custom.py',
    '_base_/finetune.py',
]

# holds train/<class>/<image> and val/<class>/<image>
data_root = 'data/custom'
# the number of class folders in train/ (required: training says how many
# it finds while this is None)
num_classes = None

model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
