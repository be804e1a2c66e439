"""tools/infer.py: an image or a folder in, the top-5 classes out (and
optionally pictures), for zoo and fine-grained models by config or by
name, on real photos (the JPEGs inside matplotlib and scikit-image) with
checkpoints the tests write; compared with torchvision's preprocessing and
the network run here."""
import json
import os
import re
import shutil
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import skimage
import torch
import torchvision.transforms as T
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.datasets.categories import DTD_CATEGORIES, IMAGENET_CATEGORIES
from mmpretrain.registry import MODELS
from PIL import Image

import gcp_mm  # noqa: F401
from gcp_mm.apis import Classifier, find_images
from gcp_mm.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HOPPER = os.path.join(matplotlib.get_data_path(), 'sample_data',
                      'grace_hopper.jpg')
ROCKET = os.path.join(os.path.dirname(skimage.__file__), 'data', 'rocket.jpg')
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS='1')


def write_checkpoint(config, path, scale=3000.):
    """Weights of the config's model as built (random), the classifier
    scaled so that the scores decide."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(config).model)
    with torch.no_grad():
        model.head.fc.weight.mul_(scale)
    torch.save(dict(state_dict=model.state_dict()), path)
    return model.eval()


def reference_top5(model, path, transform):
    """torchvision preprocessing, the network, softmax: (labels, scores)."""
    x = T.Compose([transform, T.ToTensor(), T.Normalize(MEAN, STD)])(
        Image.open(path).convert('RGB'))[None]
    with torch.no_grad():
        top = model(x, mode='tensor').softmax(1)[0].topk(5)
    return top.indices.tolist(), top.values


@pytest.fixture(scope='module')
def r18(tmp_path_factory):
    folder = tmp_path_factory.mktemp('r18')
    checkpoint = str(folder / 'r18.pth')
    model = write_checkpoint(
        os.path.join(ROOT, 'configs', 'imagenet', 'resnet18_gcp_lrnorm.py'),
        checkpoint)
    return model, checkpoint


def test_folder_with_a_zoo_config(r18, tmp_path, run_tool):
    model, checkpoint = r18
    images = tmp_path / 'photos'
    (images / 'sub').mkdir(parents=True)
    shutil.copy(HOPPER, images / 'hopper.jpg')
    shutil.copy(ROCKET, images / 'sub' / 'rocket.JPG')
    (images / 'notes.txt').write_text('not an image')
    out, pictures = tmp_path / 'top5.json', tmp_path / 'pictures'
    printed = run_tool(
        'infer.py', 'configs/imagenet/resnet18_gcp_lrnorm.py', checkpoint,
        images, '--out', out, '--show-dir', pictures, '--device', 'cpu',
        env=ONE_THREAD).stdout
    results = json.loads(out.read_text())
    paths = [str(images / 'hopper.jpg'), str(images / 'sub' / 'rocket.JPG')]
    assert [r['path'] for r in results] == paths
    for result in results:
        labels, scores = reference_top5(
            model, result['path'], T.Compose([T.Resize(256),
                                              T.CenterCrop(224)]))
        assert result['labels'] == labels
        torch.testing.assert_close(torch.tensor(result['scores']), scores,
                                   atol=1e-5, rtol=1e-4)
        assert result['classes'] == [IMAGENET_CATEGORIES[i] for i in labels]
        # printed: the path, then rank, score, label and class
        block = printed.split(result['path'] + ':\n')[1].splitlines()[:5]
        for rank, (line, label, score) in enumerate(
                zip(block, labels, result['scores']), start=1):
            assert line == (f'  {rank}. {score:.4f}  {label} '
                            f'{IMAGENET_CATEGORIES[label]}')
    # pictures: one per image, the image's size, subfolders in the name
    for name, source in (('hopper.png', HOPPER),
                         ('sub__rocket.png', ROCKET)):
        with Image.open(pictures / name) as drawn:
            assert drawn.format == 'PNG'
            assert drawn.size == Image.open(source).size
    assert sorted(os.listdir(pictures)) == ['hopper.png', 'sub__rocket.png']


def test_image_with_a_fine_grained_model_name(tmp_path, run_tool_here):
    model = write_checkpoint(
        os.path.join(ROOT, 'configs', 'finegrained', 'resnet50_gap_dtd.py'),
        str(tmp_path / 'dtd.pth'))
    out = tmp_path / 'top5.json'
    run_tool_here('infer.py', 'resnet50-gap_dtd-448px', tmp_path / 'dtd.pth',
                  ROCKET, '--out', out)
    (result, ) = json.loads(out.read_text())
    labels, scores = reference_top5(model, ROCKET, T.Compose(
        [T.Resize(448), T.CenterCrop(448)]))
    assert result['labels'] == labels
    torch.testing.assert_close(torch.tensor(result['scores']), scores,
                               atol=1e-5, rtol=1e-4)
    assert result['classes'] == [DTD_CATEGORIES[i] for i in labels]


def test_input_errors(tmp_path, r18):
    with pytest.raises(InputError, match='image or folder not found'):
        find_images(str(tmp_path / 'nowhere'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(InputError, match=r'no images in .*empty'):
        find_images(str(tmp_path / 'empty'))
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg')
    classifier = Classifier('configs/imagenet/resnet18_gcp_lrnorm.py',
                            r18[1], 'cpu')
    with pytest.raises(InputError, match=r'cannot read image .*broken\.jpg'):
        classifier.predict([str(tmp_path / 'broken.jpg')])


def test_model_and_checkpoint_errors(tmp_path, r18):
    from gcp_mm.testing import reference_net, save_released
    # a misspelt 0.1 name leads to the model's name now
    with pytest.raises(InputError, match=r"unknown model 'resnet18-gcp_8xb32"
                       r"-lrnorm'.*did you mean resnet18_gcp_lrnorm\?"):
        Classifier('resnet18-gcp_8xb32-lrnorm', r18[1])
    with pytest.raises(InputError, match=r'config file not found'):
        Classifier('configs/imagenet/resnet18_gcp.py', r18[1])
    with pytest.raises(InputError, match=r'checkpoint file not found'):
        Classifier('resnet18-gcp_8xb32-lrnorm_in1k', str(tmp_path / 'x.pth'))
    released = str(tmp_path / 'released.pth.tar')
    save_released(reference_net('resnet18', 'gcp', randomize=False),
                  released, 'resnet18')
    with pytest.raises(InputError, match=r'convert .*released\.pth\.tar '
                       r'with tools/convert_checkpoint\.py first: it looks '
                       r'like a released resnet18 gcp file'):
        Classifier('resnet18-gcp_8xb32-lrnorm_in1k', released)
    with pytest.raises(InputError, match=r'does not fit'):
        Classifier('resnet18-gap_8xb32-lrnorm_in1k', r18[1])


def test_errors_are_one_line(tmp_path, run_tool_here):
    """infer.py's main() in this interpreter (the tests above run it as
    users do)."""
    done = run_tool_here('infer.py', 'resnet50-gcp_cub448px', 'x.pth',
                         HOPPER, check=False)
    assert done.returncode == 2 and 'Traceback' not in done.stderr
    errors = [line for line in done.stderr.splitlines()
              if line.startswith('error: ')]
    assert errors == [
        "error: unknown model 'resnet50-gcp_cub448px': neither a config "
        'file (.py) nor a model name of mmpretrain.list_models(); did you '
        'mean resnet50_gcp_cub?']


def test_help_explains_every_option():
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'infer.py'), '--help'],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    options = re.findall(r'^  (-\S+|[a-z]\w*)(?: \S+)?\s{2,}(\S.*)$',
                         done.stdout, re.M)
    assert {o for o, _ in options} >= {
        'model', 'checkpoint', 'input', '--topk', '--show-dir', '--out',
        '--device', '--debug'}
    assert all(len(text.split()) >= 2 for _, text in options)


def test_exif_orientation_is_honoured_by_default(r18, tmp_path, capsys):
    """A phone photo stored sideways with EXIF orientation 6 (turn 90
    degrees clockwise): the inferencer's input is upright by default, as
    stored with exif=False (as training reads it); the tool says which."""
    import importlib.util
    photo = tmp_path / 'phone.jpg'
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.open(HOPPER).convert('RGB').resize((60, 40)).save(photo, exif=exif)
    config = 'configs/imagenet/resnet18_gcp_lrnorm.py'
    upright = Classifier(config, r18[1], 'cpu')
    stored = Classifier(config, r18[1], 'cpu', exif=False)
    assert upright.load_image(str(photo)).shape == (60, 40, 3)
    assert stored.load_image(str(photo)).shape == (40, 60, 3)
    turned = Image.open(photo).transpose(Image.Transpose.ROTATE_270)
    assert (abs(upright.load_image(str(photo))[..., ::-1].astype(int) -
                np.asarray(turned)).max()) == 0
    spec = importlib.util.spec_from_file_location(
        'infer_tool', os.path.join(ROOT, 'tools', 'infer.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    capsys.readouterr()  # the Classifiers' loading lines
    for flags, said in (([], 'EXIF orientation: honoured'),
                        (['--ignore-exif'], 'EXIF orientation: ignored, as '
                         'in training')):
        tool.main([config, r18[1], str(photo), '--device', 'cpu', *flags])
        assert capsys.readouterr().out.splitlines()[0].startswith(said)
