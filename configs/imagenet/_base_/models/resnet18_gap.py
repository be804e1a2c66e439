# ResNet-18 with global average pooling (the paper's GAP baseline).
_base_ = 'mmpretrain::_base_/models/resnet18.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

# torchvision's initialisation, as the reference trained with
model = dict(backbone=dict(zero_init_residual=False))
