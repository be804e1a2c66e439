# DeiT-S with covariance pooling of its tokens on ImageNet, as So-ViT
# (docs/normalisations.md): mmpretrain's own recipe (AdamW, 300 epochs,
# batch 1024, Mixup/CutMix); the backbone hands over all its tokens
# (out_type='raw'), the neck pools the 196 patch tokens by covariance and
# puts the class token in front, and a linear head on the concatenation
# sums a class-token and a covariance classifier: 384 + 256 * 257 / 2
# features. Pick the normalisation with e.g.
#   --cfg-options model.neck.normalization=eig
_base_ = 'mmpretrain::deit/deit-small_4xb256_in1k.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

embed_dims = 384  # deit-small
reduced_channels = 256
model = dict(
    backbone=dict(out_type='raw'),
    neck=dict(
        _delete_=True,  # the base has neck=None
        type='GlobalCovariancePooling',
        in_channels=embed_dims,
        reduced_channels=reduced_channels,
        normalization='newton_schulz',
        token_input=True,
        num_extra_tokens=1,
        concat_cls_token=True),
    head=dict(
        type='LinearClsHead',
        in_channels=embed_dims + reduced_channels * (reduced_channels + 1) //
        2))
