import pytest


@pytest.fixture(scope='session')
def r18_released(tmp_path_factory):
    """A GCP ResNet-18 reference network (its torchvision modules), saved
    as the paper released it (legacy format), and that file converted by
    tools/convert_checkpoint.py's function: (net, released, converted)."""
    from gcp_mm.cli import convert_released_checkpoint
    from gcp_mm.testing import reference_net, save_released
    folder = tmp_path_factory.mktemp('r18')
    net = reference_net('resnet18', 'gcp')
    released = str(folder / 'r18.pth.tar')
    save_released(net, released, 'resnet18')
    converted = str(folder / 'r18_gcp.pth')
    convert_released_checkpoint(released, converted)
    return net.net, released, converted
