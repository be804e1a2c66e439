# ShuffleNetV2 x1.0 with average pooling + Linear(1024).
_base_ = 'mmpretrain::_base_/models/shufflenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)
