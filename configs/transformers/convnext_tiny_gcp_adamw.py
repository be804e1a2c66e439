# ConvNeXt-T with global covariance pooling on ImageNet: mmpretrain's own
# recipe (AdamW, 300 epochs, batch 4096, Mixup/CutMix), its GAP + linear
# head replaced by the GCP neck (docs/normalisations.md). ConvNeXt pools
# before its final norm by default; gap_before_final_norm=False hands the
# neck the normalised 7x7 map. Pick the normalisation with e.g.
#   --cfg-options model.neck.normalization=eig
_base_ = 'mmpretrain::convnext/convnext-tiny_32xb128_in1k.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

reduced_channels = 256
model = dict(
    backbone=dict(gap_before_final_norm=False),
    neck=dict(
        type='GlobalCovariancePooling',
        in_channels=768,
        reduced_channels=reduced_channels,
        normalization='newton_schulz'),
    head=dict(in_channels=reduced_channels * (reduced_channels + 1) // 2))
