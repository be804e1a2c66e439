# ShuffleNetV2 x1.0 with average pooling + Linear(1024), initialised as
# torchvision's (docs/reference.md section 2): PyTorch's default init for
# every conv, BN and the classifier.
_base_ = 'mmpretrain::_base_/models/shufflenet_v2_1x.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

model = dict(
    backbone=dict(type='TorchInitShuffleNetV2'), head=dict(init_cfg=None))
