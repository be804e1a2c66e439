# ResNet-34 with iSQRT-COV pooling (docs/reference.md section 2): layer4 at
# stride 1 (14x14 at 224 px), 1x1 conv 512->256 + BN + ReLU, N = 5.
_base_ = 'mmpretrain::_base_/models/resnet34.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

model = dict(
    backbone=dict(strides=(1, 2, 2, 1), zero_init_residual=False),
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=512,
        reduced_channels=256,
        num_iters=5),
    # the classifier keeps nn.Linear's default init, as the reference
    head=dict(in_channels=32896, init_cfg=None))
