# ResNet LRnorm (docs/reference.md section 3): lr(e) = 0.1 * 0.1^floor(e/30),
# 100 epochs, batch 256 (8 GPUs x 32), SGD momentum 0.9, weight decay 1e-4:
# mmpretrain's imagenet_bs256 schedule is exactly this recipe.
_base_ = './common.py'
