# ResNet LRnorm (docs/reference.md section 3): lr(e) = 0.1 * 0.1^floor(e/30),
# 100 epochs, batch 256 (8 GPUs x 32), SGD momentum 0.9, weight decay 1e-4.
# mmpretrain's imagenet_bs256 schedule is exactly this recipe.
_base_ = [
    '../datasets/imagenet_pillow.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
]
auto_scale_lr = dict(base_batch_size=256)
# FiniteCheckOptimWrapper (gcp_mm): NaN/Inf never reaches the weights
optim_wrapper = dict(type='FiniteCheckOptimWrapper')
