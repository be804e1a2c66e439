"""``--cfg-options`` as the tools parse it: mmengine's DictAction (the
OpenMMLab convention) with configs' dict(...) values, then the key checks
against the config (gcp_mm.cli.config)."""
import argparse
import os

import pytest
from mmengine.config import DictAction

from gcp_mm.cli import UsageError, add_runner_arguments, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'imagenet', 'resnet18_gcp_lrnorm.py')


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_runner_arguments(parser, 'k=v', 'dist_train.sh')
    return parser.parse_args(list(argv)).cfg_options


def dict_action(*texts):
    """What mmengine's DictAction makes of the same texts."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    return parser.parse_args(['--o', *texts]).o


def test_values_are_read_as_dict_action_reads_them():
    texts = ['a=1,2', 'b=[1,2]', 'c=(1,2)', 'd=[(1,2),[x,y],z]', 'e=None',
             'f=true', 'g=0.5', 'h=runs/a', "i='quoted'", 'j=(1,)', 'k=']
    options = parse('--cfg-options', *texts)
    assert options == dict_action(*texts)
    assert options['a'] == [1, 2] and options['c'] == (1, 2)
    assert options['d'] == [(1, 2), ['x', 'y'], 'z']
    assert options['e'] is None and options['f'] is True
    assert options['i'] == 'quoted' and options['j'] == (1, ) \
        and options['k'] == ''


def test_dicts_as_configs_write_them_and_paths_with_spaces():
    options = parse(
        '--cfg-options', "vis=[dict(type='LocalVisBackend'), "
        "dict(type='TensorboardVisBackend', save_dir='x')]",
        "sched=dict(type='StepLR', step_size=1)", "m={'a': [1, 2]}",
        'work_dir=runs/my run')
    assert options['vis'] == [dict(type='LocalVisBackend'),
                              dict(type='TensorboardVisBackend',
                                   save_dir='x')]
    assert options['sched'] == dict(type='StepLR', step_size=1)
    assert options['m'] == {'a': [1, 2]}
    # DictAction drops every space; a single value keeps them
    assert options['work_dir'] == 'runs/my run'


def test_repeated_options_add_up():
    assert parse('--cfg-options', 'a=1', 'b=2', '--cfg-options',
                 'a=3') == dict(a=3, b=2)


@pytest.mark.parametrize('text,message', [
    ('train_cfg.max_epochs', "--cfg-options 'train_cfg.max_epochs': "
     'expected key=value, e.g. train_cfg.max_epochs=10'),
    ('=3', "--cfg-options '=3': expected key=value"),
    ('a=[1,2', "--cfg-options a: cannot read '[1,2' as a value"),
    ('a=f(1,2)', "--cfg-options a: cannot read 'f(1,2)' as a value"),
    ('a=[dict(type=1]', "--cfg-options a: cannot read '[dict(type=1]'"),
])
def test_unreadable_options_are_one_line(text, message):
    with pytest.raises(UsageError) as info:
        parse('--cfg-options', text)
    assert str(info.value).startswith(message), str(info.value)


def test_the_key_checks_apply_to_what_the_action_parsed():
    options = parse('--cfg-options', 'train_cfg.max_epochs=3',
                    'model.backbone.frozen_stages=1',
                    "visualizer.vis_backends=[dict(type='LocalVisBackend')]")
    cfg = load_config(CONFIG, options)
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.model.backbone.frozen_stages == 1
    assert cfg.visualizer.vis_backends == [dict(type='LocalVisBackend')]
    for text, message in [
            ('model.neck.reduced_chanels=32', "GlobalCovariancePooling takes "
             "no argument 'reduced_chanels'; did you mean "
             'model.neck.reduced_channels?'),
            ('load_form=x.pth', "the config has no key 'load_form'; did you "
             'mean load_from?'),
            ('train_cfg.max_epochs=1,2', 'train_cfg.max_epochs: the config '
             'holds a number there, not a list')]:
        with pytest.raises(UsageError) as info:
            load_config(CONFIG, parse('--cfg-options', text))
        assert message in str(info.value)
