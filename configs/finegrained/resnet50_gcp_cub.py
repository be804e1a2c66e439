# GCP ResNet-50 fine-tuned on CUB-200-2011 with the iSQRT-COV authors' recipe
# (docs/fine_grained.md).
_base_ = [
    '_base_/models/resnet50_gcp.py',
    '_base_/datasets/cub.py',
    '_base_/finetune.py',
]

model = dict(head=dict(num_classes=200))
