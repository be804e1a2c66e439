"""gcp_mm.checkpoint's one loading entry: our checkpoints, the paper's
released files (refused as they are, with the conversion to run: the one
policy), a backbone out of a classifier, and what does not fit, in a
one-line message with the full list on request."""
import pytest
import torch
import torch.nn as nn

from gcp_mm.checkpoint import (
    CheckpointError,
    StateDictMismatch,
    check_loadable,
    check_state_dict_fits,
    is_released_state_dict,
    load_weights,
    read_state_dict,
)
from gcp_mm.errors import InputFileError


class Classifier(nn.Module):
    """The names of an mmpretrain classifier: backbone / neck / head."""

    def __init__(self, width=3):
        super().__init__()
        self.backbone = nn.Linear(2, width)
        self.head = nn.Linear(width, 4)


def test_our_names_load_exactly(tmp_path):
    source, target = Classifier(), Classifier()
    path = tmp_path / 'ours.pth'
    torch.save(dict(state_dict=source.state_dict(), meta={}), path)
    loaded = load_weights(target, str(path))
    assert loaded.dropped == []
    for key, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value,
                                   rtol=0, atol=0)


def test_released_files_are_refused_until_converted(r18_released):
    from gcp_mm.checkpoint import build_model
    from gcp_mm.cli import zoo_config
    from gcp_mm.config_file import read_config
    net, path, converted = r18_released
    state = read_state_dict(str(path))
    assert is_released_state_dict(state)
    model = build_model(read_config(zoo_config('resnet18', 'gcp')))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fix = (r'^convert .*r18\.pth\.tar with tools/convert_checkpoint\.py '
           r'first: it looks like a released resnet18 gcp file')
    # the whole classifier, its check, and its backbone alone
    with pytest.raises(CheckpointError, match=fix):
        load_weights(model, str(path))
    with pytest.raises(CheckpointError, match=fix):
        check_loadable(model.state_dict(), str(path))
    with pytest.raises(CheckpointError, match=fix):
        load_weights(model.backbone, str(path), part='backbone')
    for key, value in model.state_dict().items():  # nothing was loaded
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    load_weights(model, converted)
    torch.testing.assert_close(model.state_dict()['head.fc.weight'],
                               net.fc.weight, rtol=0, atol=0)
    torch.testing.assert_close(model.backbone.layer4[1].conv2.weight,
                               net.layer4[1].conv2.weight, rtol=0, atol=0)


def test_a_backbone_alone_in_torchvision_names_is_no_released_file(
        tmp_path):
    """Only a released classifier (with its head) is refused: a backbone
    saved alone loads as it is."""
    import torchvision
    net = torchvision.models.resnet18()
    del net.fc
    path = tmp_path / 'backbone.pth'
    torch.save(net.state_dict(), path)
    target = torchvision.models.resnet18()
    del target.fc
    loaded = load_weights(target, str(path), part='backbone')
    assert loaded.dropped == []
    torch.testing.assert_close(target.layer2[0].conv1.weight,
                               net.layer2[0].conv1.weight, rtol=0, atol=0)


def test_backbone_of_a_classifier(tmp_path):
    import torchvision
    net = torchvision.models.resnet18()
    path = tmp_path / 'classifier.pth'
    torch.save({f'backbone.{k}' if not k.startswith('fc.') else
                f'head.{k}': v for k, v in net.state_dict().items()}, path)
    target = torchvision.models.resnet18()
    del target.fc
    loaded = load_weights(target, str(path), part='backbone')
    assert loaded.dropped == ['head.fc.weight', 'head.fc.bias']
    torch.testing.assert_close(target.conv1.weight, net.conv1.weight,
                               rtol=0, atol=0)


def test_a_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(InputFileError, match=r'is a directory, not a '
                       r'checkpoint file'):
        load_weights(Classifier(), str(tmp_path))


def test_mismatch_message_is_one_short_line_the_report_lists_all():
    target = {f'layer.{i}.weight': torch.zeros(2) for i in range(40)}
    state = {f'other.{i}.weight': torch.zeros(2) for i in range(326)}
    state['layer.0.weight'] = torch.zeros(3)
    with pytest.raises(StateDictMismatch) as err:
        check_state_dict_fits(state, target, 'Net', 'f.pth')
    message = str(err.value)
    assert '\n' not in message and len(message) < 300
    assert 'unknown keys (326): other.0.weight, other.1.weight, ' \
        'other.2.weight, ...' in message
    assert 'missing keys (39)' in message
    assert 'shape mismatches (1): layer.0.weight: (3,) in the file' in message
    report = err.value.full_report()
    assert all(f'  other.{i}.weight' in report for i in range(326))
    assert all(f'  layer.{i}.weight' in report for i in range(1, 40))
