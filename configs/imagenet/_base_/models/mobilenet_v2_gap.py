# MobileNetV2 1.0x with average pooling, Dropout(0.2) + Linear(1280).
_base_ = 'mmpretrain::_base_/models/mobilenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

model = dict(head=dict(type='DropoutLinearClsHead', dropout_rate=0.2))
