"""A tiny GCP ResNet-18 config file for the export tests."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ZOO_R18 = os.path.join(ROOT, 'configs', 'imagenet', 'resnet18_gcp_lrnorm.py')
DIM = 8

NECKS = {
    'newton_schulz': dict(reduced_channels=DIM),
    'none': dict(reduced_channels=DIM, normalization='none'),
    'dropcov': dict(_delete_=True, type='DropCovPooling', in_channels=512,
                    reduced_channels=DIM),
}


def tiny_config(folder, neck: dict, size: int = 48) -> str:
    """The zoo's GCP ResNet-18 config with d = 8, 5 classes and a test
    pipeline at ``size`` px, written as a config file that inherits it."""
    path = os.path.join(folder, 'tiny_gcp_r18.py')
    with open(path, 'w') as f:
        f.write(f"""_base_ = [{ZOO_R18!r}]
model = dict(neck={neck!r},
             head=dict(num_classes=5, in_channels={DIM * (DIM + 1) // 2}))
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale={size}, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size={size}),
    dict(type='PackInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
""")
    return path
