# The paper's ResNet-18 measurement (docs/reference.md section 5): split
# at the stem output, every 500 iterations, 50 step sizes in [0.1, 75].
# the leaf configs list it in custom_hooks
landscape_hook = dict(
    type='LandscapeHook',
    interval=500,
    split_module='backbone.maxpool',
    step_range=(0.1, 75.0),
    num_steps=50)
