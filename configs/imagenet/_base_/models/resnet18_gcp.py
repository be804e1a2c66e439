# ResNet-18 with iSQRT-COV pooling (docs/reference.md section 2): layer4 at
# stride 1 (14x14 at 224 px), 1x1 conv 512->d + BN + ReLU with d = 256,
# N = 5, and a classifier on the d(d+1)/2 upper-triangle entries.
_base_ = 'mmpretrain::_base_/models/resnet18.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

gcp_dim = 256
model = dict(
    backbone=dict(strides=(1, 2, 2, 1), zero_init_residual=False),
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=512,
        reduced_channels=gcp_dim,
        num_iters=5),
    # the classifier keeps nn.Linear's default init, as the reference
    head=dict(in_channels=gcp_dim * (gcp_dim + 1) // 2, init_cfg=None))
