# GCP ResNet-50 fine-tuned on Stanford Cars with the iSQRT-COV authors' recipe
# (docs/fine_grained.md).
_base_ = [
    '_base_/models/resnet50_gcp.py',
    '_base_/datasets/cars.py',
    '_base_/finetune.py',
]

model = dict(head=dict(num_classes=196))
