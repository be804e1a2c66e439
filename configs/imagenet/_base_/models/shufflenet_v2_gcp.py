# ShuffleNetV2 x1.0 with iSQRT-COV (REFERENCE.md section 2): strides kept
# (7x7), after conv5: 1x1 conv 1024->256 + BN + ReLU6, N = 5, Linear(32896).
_base_ = 'mmpretrain::_base_/models/shufflenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=1024,
        reduced_channels=256,
        act_cfg=dict(type='ReLU6'),
        num_iters=5),
    head=dict(in_channels=32896))
