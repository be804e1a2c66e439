# The paper's MobileNetV2 measurement (docs/reference.md section 5): split
# after the first ConvBNReLU6, every 1000 iterations, 50 step sizes in
# [0.045, 1.5].
# replaces the data base's list: BadImageHook kept
custom_hooks = [
    dict(type='BadImageHook'),
    dict(
        type='LandscapeHook',
        interval=1000,
        split_module='backbone.conv1',
        step_range=(0.045, 1.5),
        num_steps=50)
]
