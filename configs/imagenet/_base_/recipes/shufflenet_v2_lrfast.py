# ShuffleNetV2 LRfast recipe: 60 epochs (docs/reference.md section 3).
_base_ = './shufflenet_v2_common.py'
# PolyToEndLR (gcp_mm): T = total steps exactly, for any data set size
param_scheduler = [
    dict(type='PolyToEndLR', power=1.0, eta_min=0, begin=0, end=60,
         by_epoch=True, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=60)
