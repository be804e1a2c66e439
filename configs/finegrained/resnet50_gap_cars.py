# The GAP ResNet-50 baseline fine-tuned on Stanford Cars with the iSQRT-COV
# authors' recipe (docs/fine_grained.md).
_base_ = [
    '_base_/models/resnet50_gap.py',
    '_base_/datasets/cars.py',
    '_base_/finetune.py',
]

model = dict(head=dict(num_classes=196))
