# ResNet-50 with global average pooling (the paper's GAP baseline).
_base_ = 'mmpretrain::_base_/models/resnet50.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

# torchvision's initialisation, as the reference (docs/reference.md section
# 2): no zero-initialised residual BN; the classifier keeps nn.Linear's
# default U(+-1/sqrt(fan_in)) instead of mmpretrain's Normal(0.01).
model = dict(
    backbone=dict(zero_init_residual=False), head=dict(init_cfg=None))
