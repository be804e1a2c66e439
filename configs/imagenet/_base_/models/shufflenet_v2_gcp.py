# ShuffleNetV2 x1.0 with iSQRT-COV (docs/reference.md section 2): strides
# kept (7x7), after conv5: 1x1 conv 1024->256 + BN + ReLU6, N = 5,
# Linear(d(d+1)/2) on the upper triangle (d = 256). Initialised as the
# reference: PyTorch's defaults for the backbone, the reduction conv and
# the classifier.
_base_ = './shufflenet_v2_gap.py'

gcp_dim = 256
model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=1024,
        reduced_channels=gcp_dim,
        act_cfg=dict(type='ReLU6'),
        num_iters=5,
        init_cfg=None),
    head=dict(in_channels=gcp_dim * (gcp_dim + 1) // 2))
