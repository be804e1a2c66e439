# Swin-T with global covariance pooling on ImageNet: mmpretrain's own
# recipe (AdamW, 300 epochs, batch 1024, Mixup/CutMix), its GAP neck
# replaced by the GCP neck (docs/normalisations.md). Swin-T's last stage is
# a 7x7 map at 224 px. Pick the normalisation with e.g.
#   --cfg-options model.neck.normalization=pade
_base_ = 'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py'
custom_imports = dict(imports=['gcp_mm'], allow_failed_imports=False)

reduced_channels = 256
model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalCovariancePooling',
        in_channels=768,
        reduced_channels=reduced_channels,
        normalization='newton_schulz'),
    head=dict(in_channels=reduced_channels * (reduced_channels + 1) // 2))
