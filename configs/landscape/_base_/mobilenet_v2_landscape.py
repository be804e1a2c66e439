# The paper's MobileNetV2 measurement (docs/reference.md section 5): split
# after the first ConvBNReLU6, every 1000 iterations, 50 step sizes in
# [0.045, 1.5].
# the leaf configs list it in custom_hooks
landscape_hook = dict(
    type='LandscapeHook',
    interval=1000,
    split_module='backbone.conv1',
    step_range=(0.045, 1.5),
    num_steps=50)
