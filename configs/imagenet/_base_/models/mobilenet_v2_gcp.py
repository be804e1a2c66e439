# MobileNetV2 1.0x with iSQRT-COV (docs/reference.md section 2): the backbone
# keeps its 7x7 last stage; 1x1 conv 1280->256 + BN + ReLU6, N = 5, then
# Dropout(0.2) + Linear(d(d+1)/2) on the upper triangle (d = 256).
_base_ = 'mmpretrain::_base_/models/mobilenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

gcp_dim = 256
model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=1280,
        reduced_channels=gcp_dim,
        act_cfg=dict(type='ReLU6'),
        num_iters=5),
    head=dict(
        type='DropoutLinearClsHead',
        dropout_rate=0.2,
        in_channels=gcp_dim * (gcp_dim + 1) // 2))
