# MobileNetV2 1.0x with iSQRT-COV (docs/reference.md section 2): the backbone
# keeps its 7x7 last stage; 1x1 conv 1280->256 + BN + ReLU6, N = 5, then
# Dropout(0.2) + Linear(32896).
_base_ = 'mmpretrain::_base_/models/mobilenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=1280,
        reduced_channels=256,
        act_cfg=dict(type='ReLU6'),
        num_iters=5),
    head=dict(
        type='DropoutLinearClsHead', dropout_rate=0.2, in_channels=32896))
