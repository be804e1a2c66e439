# ShuffleNetV2 x1.0 with iSQRT-COV (docs/reference.md section 2): strides
# kept (7x7), after conv5: 1x1 conv 1024->256 + BN + ReLU6, N = 5,
# Linear(32896). Initialised as the reference: PyTorch's defaults for the
# backbone, the reduction conv and the classifier.
_base_ = './shufflenet_v2_gap.py'

model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=1024,
        reduced_channels=256,
        act_cfg=dict(type='ReLU6'),
        num_iters=5,
        init_cfg=None),
    head=dict(in_channels=32896))
