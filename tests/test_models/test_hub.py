"""After ``import gcp_mm`` mmpretrain's own APIs know gcp-mm's models
(gcp_mm/models/hub.py): ``list_models``, ``get_model`` and
``ImageClassificationInferencer``, with the configs and the published
metrics, on real photos (the JPEGs inside matplotlib) with checkpoints the
tests write."""
import glob
import json
import os
import subprocess
import sys
import textwrap

import matplotlib
import mmcv
import pytest
import torch
import torchvision.transforms as T
import yaml
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain import ImageClassificationInferencer, get_model
from mmpretrain.apis import ModelHub
from mmpretrain.datasets.categories import CUB_CATEGORIES, IMAGENET_CATEGORIES
from mmpretrain.registry import TRANSFORMS
from modelindex.load_model_index import load as load_model_index
from PIL import Image

import gcp_mm  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PHOTO = os.path.join(matplotlib.get_data_path(), 'sample_data',
                     'grace_hopper.jpg')
MMPRETRAIN_MODELS = 548  # list_models() of the pinned mmpretrain alone
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# gcp-mm 0.1's model names -> their configs, written from the model index
# before the models took their configs' names
with open(os.path.join(os.path.dirname(__file__), 'data',
                       'model_names_before_rename.yml')) as _f:
    OLD_NAMES = yaml.safe_load(_f)
DETECTION_NAMES = {f'{task}_r{depth}_{backbone}'
                   for task in ('faster_rcnn', 'mask_rcnn')
                   for depth in (50, 101)
                   for backbone in ('gap', 'gcpd', 'gcpm')}


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def expected_models():
    """name -> config path, from the config files: a model is named after
    its config (as in mmpretrain), the ImageNet zoo and the fine-grained
    benchmarks (not the configs for your own data)."""
    models = {}
    for folder in ('imagenet', 'finegrained'):
        for path in glob.glob(os.path.join(ROOT, 'configs', folder, '*.py')):
            name = os.path.basename(path)[:-3]
            if not name.endswith('_custom'):
                models[name] = path
    return models


@pytest.fixture(scope='module')
def models():
    return expected_models()


def test_list_models_after_import_gcp_mm(models):
    """In a fresh interpreter, without mmdet: mmpretrain's own models, then
    ours after the import, and registering again changes nothing."""
    code = textwrap.dedent('''
        import json, sys
        sys.modules['mmdet'] = None  # as if not installed
        import mmpretrain
        before = len(mmpretrain.list_models())
        import gcp_mm
        from gcp_mm.models.hub import register_models
        assert register_models()  # once: a second call registers nothing
        print(json.dumps(dict(
            before=before, after=len(mmpretrain.list_models()),
            gcp=mmpretrain.list_models('*gcp*'),
            listed=mmpretrain.list_models())))
        ''')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    listed = json.loads(done.stdout.strip().splitlines()[-1])
    assert listed['before'] == MMPRETRAIN_MODELS
    assert listed['after'] == MMPRETRAIN_MODELS + len(models)
    assert listed['gcp'] == sorted(n for n in models if 'gcp' in n)
    assert set(listed['listed']) >= set(models)
    # neither the deprecated names nor the detection entries are listed
    assert not set(listed['listed']) & (set(OLD_NAMES) | DETECTION_NAMES)


def published_imagenet():
    """docs/reference.md section 4: (model, head, schedule) -> (top-1,
    top-5) strings."""
    text = open(os.path.join(ROOT, 'docs', 'reference.md')).read()
    section = text.split('## 4.')[1].split('## 5.')[0]
    table, header = {}, None
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not line.startswith('|') or set(cells[0]) <= {'-'}:
            continue
        if cells[0] == 'model':
            header = cells[1:]
            continue
        for column, value in zip(header, cells[1:]):
            head, sched = column.lower().split()
            if sched.endswith('_128'):
                head, sched = 'gcp128', sched[:-len('_128')]
            table[(cells[0], head, sched)] = tuple(value.split('/'))
    return table


TITLES = {'resnet18': 'ResNet-18', 'resnet34': 'ResNet-34',
          'resnet50': 'ResNet-50', 'resnet101': 'ResNet-101',
          'mobilenet_v2': 'MobileNetV2', 'shufflenet_v2': 'ShuffleNetV2'}
# docs/fine_grained.md: the published top-1 (%) of the 32K-d iSQRT-COV ResNets
PUBLISHED_FINEGRAINED = {
    ('resnet50', 'cub'): 88.1, ('resnet50', 'aircraft'): 90.0,
    ('resnet50', 'cars'): 92.8, ('resnet101', 'cub'): 88.7,
    ('resnet101', 'aircraft'): 91.4, ('resnet101', 'cars'): 93.3}
DATASET_NAMES = {'cub': 'CUB-200-2011', 'aircraft': 'FGVC-Aircraft',
                 'cars': 'Stanford Cars', 'dtd': 'DTD'}


def index_entries():
    index = load_model_index(os.path.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    return {m.name: m for m in index.models}


def test_every_index_name_is_its_configs_name():
    entries = index_entries()
    assert len(entries) == 54 + 12
    for name, entry in entries.items():
        assert os.path.isfile(os.path.join(ROOT, entry.config)), name
        assert os.path.basename(entry.config) == name + '.py'


def test_the_index_names_each_config_and_its_published_metrics(models):
    entries = {name: entry for name, entry in index_entries().items()
               if name not in DETECTION_NAMES}
    assert set(entries) == set(models)
    imagenet = published_imagenet()
    assert len(imagenet) == 6 * 6 + 2 * 2
    found = 0
    for name, entry in entries.items():
        path = models[name]
        assert os.path.join(ROOT, entry.config) == path, name
        config = os.path.basename(path)[:-3]
        (result, ) = entry.results
        assert result.task == 'Image Classification'
        if '/imagenet/' in path:
            arch, head, sched = config.rsplit('_', 2)
            published = imagenet.get((TITLES[arch], head, sched))
            assert result.dataset == 'ImageNet-1k'
            expected = {} if published is None else {
                'Top 1 Accuracy': float(published[0]),
                'Top 5 Accuracy': float(published[1])}
            found += published is not None
        else:
            arch, head, data = config.split('_')
            assert result.dataset == DATASET_NAMES[data]
            published = PUBLISHED_FINEGRAINED.get((arch, data))
            expected = {'Top 1 Accuracy': published} \
                if published and head == 'gcp' else {}
            assert entry.data['Pretrain'].startswith(
                f'{arch}_{head}_lrnorm ')
        assert result.metrics == expected, name
    assert found == len(imagenet)  # every published cell is in the index


def published_detection():
    """docs/detection.md, Published results: (config name, metric) ->
    AP."""
    text = open(os.path.join(ROOT, 'docs', 'detection.md')).read()
    section = text.split('## Published results')[1].split('\n## ')[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not line.startswith('|') or cells[0] in ('task', '---'):
            continue
        detector, _, metric = cells[0].rpartition(' AP')[0].rpartition(' ')
        task = {'Faster R-CNN': 'faster_rcnn',
                'Mask R-CNN': 'mask_rcnn'}[detector]
        depth = cells[1].removeprefix('R-')
        for backbone, value in zip(('gap', 'gcpd', 'gcpm'), cells[2:]):
            table[(f'{task}_r{depth}_{backbone}', f'{metric} AP')] = \
                float(value)
    return table


def test_the_detection_configs_are_in_the_index_with_published_ap():
    entries = index_entries()
    published = published_detection()
    assert len(published) == 12 + 6
    found = {}
    for name in DETECTION_NAMES:
        entry = entries[name]
        assert entry.config == f'configs/{name}.py'
        assert entry.in_collection == 'GCP detection'
        tasks = {'Object Detection': 'box AP',
                 'Instance Segmentation': 'mask AP'}
        for result in entry.results:
            assert result.dataset == 'COCO'
            (metric, value), = result.metrics.items()
            assert metric == tasks[result.task]
            found[(name, metric)] = value
    assert found == published


def test_old_names_find_the_renamed_models_with_a_warning():
    """Every name of gcp-mm 0.1 (from the index before the rename) still
    finds its model in mmpretrain's hub, warning with the new name (the
    table ModelHub.get reads, for all 54; ModelHub.get itself, which reads
    the config, for one of each zoo)."""
    assert len(OLD_NAMES) == 54
    for old, config in OLD_NAMES.items():
        new = os.path.basename(config)[:-3]
        assert old != new
        with pytest.warns(FutureWarning, match=f"'{old}' is deprecated.*"
                          f"use '{new}'"):
            assert ModelHub.has(old)
        with pytest.warns(FutureWarning, match=f"use '{new}'"):
            metainfo = ModelHub._models_dict.get(old)
        assert metainfo.name == new
        assert metainfo.config == os.path.join(ROOT, config)
    for old in ('resnet50-gcp_8xb32-lrnorm_in1k', 'resnet50-gcp_cub-448px'):
        with pytest.warns(FutureWarning, match='is deprecated'):
            metainfo = ModelHub.get(old.upper())  # names ignore case
        assert metainfo.config.filename == os.path.join(ROOT, OLD_NAMES[old])


def test_a_misspelt_name_leads_to_the_current_name():
    from gcp_mm.models.hub import closest_model_name
    assert closest_model_name('resnet50_gcp_lrnrm') == 'resnet50_gcp_lrnorm'
    # closest to a 0.1 name: its new name, not the deprecated one
    assert closest_model_name('resnet101-gcp_aircraft448px') == \
        'resnet101_gcp_aircraft'
    assert closest_model_name('zzzz') is None


def test_get_model_by_old_name_builds_the_same_model():
    with pytest.warns(FutureWarning, match="use 'resnet18_gap_lrnorm'"):
        old = get_model('resnet18-gap_8xb32-lrnorm_in1k')
    new = get_model('resnet18_gap_lrnorm')
    assert old.state_dict().keys() == new.state_dict().keys()
    assert type(old.neck).__name__ == type(new.neck).__name__
    with pytest.raises(ValueError, match='Failed to find model'):
        get_model('resnet18-gap_8xb32-lrnorm')  # neither name


def test_get_model_with_converted_released_weights(tmp_path):
    """The released format, converted, loads through get_model(name,
    pretrained=PATH) and computes the reference network's logits."""
    from gcp_mm.cli import convert_released_checkpoint
    from gcp_mm.testing import reference_net, save_released
    net = reference_net('resnet18', 'gcp')
    released = str(tmp_path / 'r18.pth.tar')
    save_released(net, released, 'resnet18')
    converted = str(tmp_path / 'r18_gcp.pth')
    convert_released_checkpoint(released, converted)
    model = get_model('resnet18_gcp_lrnorm', pretrained=converted)
    assert model._dataset_meta['classes'] == IMAGENET_CATEGORIES
    image = Image.open(PHOTO).convert('RGB')
    x = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                   T.Normalize(MEAN, STD)])(image)[None]
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), net(x),
                                   atol=1e-4, rtol=1e-4)


@pytest.fixture(scope='module')
def cub_checkpoint(tmp_path_factory):
    """A checkpoint of the CUB GCP ResNet-50, as training would leave it
    (weights only)."""
    model = get_model('resnet50_gcp_cub')  # built, not loaded
    with torch.no_grad():
        model.head.fc.weight.mul_(3000)  # decisive scores
    path = str(tmp_path_factory.mktemp('cub') / 'cub.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_get_model_fine_grained(cub_checkpoint):
    model = get_model('resnet50_gcp_cub', pretrained=cub_checkpoint)
    saved = torch.load(cub_checkpoint, weights_only=True)['state_dict']
    state = model.state_dict()
    assert set(state) == set(saved)
    for key in saved:
        assert torch.equal(state[key], saved[key]), key
    assert not model.training
    assert model._dataset_meta['classes'] == CUB_CATEGORIES
    assert model.head.fc.out_features == 200


def test_inferencer_on_a_photo(cub_checkpoint):
    inferencer = ImageClassificationInferencer('resnet50_gcp_cub',
                                               pretrained=cub_checkpoint,
                                               device='cpu')
    (result, ) = inferencer(PHOTO)
    # independently: the config's test pipeline after the inferencer's
    # decoding (mmcv.imread), then the network and a softmax
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'finegrained',
                                       'resnet50_gcp_cub.py'))
    steps = cfg.test_dataloader.dataset.pipeline[1:]
    assert [s.type for s in steps] == ['ResizeEdge', 'CenterCrop',
                                      'PackInputs']
    image = mmcv.imread(PHOTO)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        packed = Compose([TRANSFORMS.build(s) for s in steps])(
            dict(img=image, img_shape=image.shape[:2],
                 ori_shape=image.shape[:2]))
    assert packed['inputs'].shape == (3, 448, 448)
    model = get_model('resnet50_gcp_cub', pretrained=cub_checkpoint)
    with torch.no_grad():
        x = model.data_preprocessor(dict(inputs=[packed['inputs']]),
                                    False)['inputs']
        scores = model(x, mode='tensor').softmax(1)[0]
    torch.testing.assert_close(torch.from_numpy(result['pred_scores']),
                               scores, atol=1e-5, rtol=1e-4)
    assert result['pred_label'] == int(scores.argmax())
    assert result['pred_class'] == CUB_CATEGORIES[result['pred_label']]
    assert scores.max() > 2 / 200  # a real decision, not uniform scores
