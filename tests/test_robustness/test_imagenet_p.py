"""ImageNet-P on the released layout: which folder and files each kind of
perturbation is read from at difficulties 1..3, FP / T5D against the
reference loops of conftest.py, and the normalisation by a baseline run
against hand-computed ratios (docs/robustness.md)."""
import numpy as np
import pytest

from gcp_mm.robustness.errors import RobustnessInputError
from gcp_mm.robustness.imagenet_p import (
    check_baseline,
    evaluate_imagenet_p,
    imagenet_p_video_paths,
    normalise_by_baseline,
    read_video,
)

FOLDERS = ('gaussian_noise', 'gaussian_noise_2', 'gaussian_noise_3',
           'rotate', 'rotate_2', 'rotate_3')


@pytest.fixture(scope='module')
def folder_scores(released_p, tiny_classifier, helpers):
    """Class scores of every fixture video, decoded and normalised in the
    test, per folder."""
    model = tiny_classifier[0]
    return {folder: [helpers.scores(model, helpers.decode(path))
                     for path in helpers.video_files(released_p, folder)]
            for folder in FOLDERS}


@pytest.mark.parametrize('difficulty', [1, 2, 3])
def test_noise_is_read_from_its_difficulty_folder(
        released_p, tiny_classifier, helpers, folder_scores, difficulty):
    folder = 'gaussian_noise' + ('' if difficulty == 1 else
                                 f'_{difficulty}')
    assert imagenet_p_video_paths(str(released_p), 'gaussian_noise',
                                  difficulty) == helpers.video_files(
                                      released_p, folder)
    result = evaluate_imagenet_p(tiny_classifier[0], ['gaussian_noise'],
                                 difficulty, str(released_p), batch_size=8)
    # noise: every frame against frame 0, whatever the difficulty
    fp, t5d = helpers.reference(folder_scores[folder], True, difficulty)
    assert result['fp']['gaussian_noise'] == pytest.approx(100 * fp,
                                                           abs=1e-9)
    assert result['t5d']['gaussian_noise'] == pytest.approx(t5d, abs=1e-9)
    assert (result['difficulty'], result['data']) == (difficulty,
                                                      'released')
    # the fixture tells the folders apart: another one gives other numbers
    for other in FOLDERS[:3]:
        if other != folder:
            assert helpers.reference(folder_scores[other], True,
                                     difficulty) != (fp, t5d)


@pytest.mark.parametrize('difficulty', [1, 2, 3])
def test_other_perturbations_use_subsequences_of_the_base_folder(
        released_p, tiny_classifier, helpers, folder_scores, difficulty):
    # rotate_2 / rotate_3 exist in the fixture only as decoys; the
    # non-video file in rotate/ is skipped
    assert imagenet_p_video_paths(str(released_p), 'rotate',
                                  difficulty) == helpers.video_files(
                                      released_p, 'rotate')
    result = evaluate_imagenet_p(tiny_classifier[0], ['rotate'],
                                 difficulty, str(released_p), batch_size=8)
    fp, t5d = helpers.reference(folder_scores['rotate'], False, difficulty)
    assert result['fp']['rotate'] == pytest.approx(100 * fp, abs=1e-9)
    assert result['t5d']['rotate'] == pytest.approx(t5d, abs=1e-9)
    assert result['mean_fp'] == pytest.approx(100 * fp, abs=1e-9)
    # the difficulty changes the compared pairs, and the decoy folder
    # would give other numbers
    others = [helpers.reference(folder_scores['rotate'], False, d)
              for d in (1, 2, 3) if d != difficulty]
    if difficulty > 1:
        others.append(helpers.reference(
            folder_scores[f'rotate_{difficulty}'], False, difficulty))
    assert all(other != (fp, t5d) for other in others)


def test_generated_sequences_at_difficulty_2(tiny_classifier, helpers,
                                             tmp_path):
    """Sequences made on the fly: the model's numbers on the very frames
    perturbation_sequence makes (seed + image index), by the reference
    loops."""
    from PIL import Image

    from gcp_mm.demo.data import make_color_texture_dataset
    from gcp_mm.robustness.data import list_class_images
    from gcp_mm.robustness.perturbations import perturbation_sequence
    make_color_texture_dataset(str(tmp_path), train_per_class=0,
                               val_per_class=1, size=40)
    val = str(tmp_path / 'val')
    model = tiny_classifier[0]
    result = evaluate_imagenet_p(model, ['shot_noise', 'tilt'], 2,
                                 clean_root=val, crop=32, seed=5)
    assert result['data'] == 'generated'
    _, items = list_class_images(val)
    for name, noise in (('shot_noise', True), ('tilt', False)):
        scores = [helpers.scores(model, perturbation_sequence(
            Image.open(path), name, 2, 32, seed=5 + index))
            for index, (path, _) in enumerate(items)]
        fp, t5d = helpers.reference(scores, noise, 2)
        assert result['fp'][name] == pytest.approx(100 * fp, abs=1e-9)
        assert result['t5d'][name] == pytest.approx(t5d, abs=1e-9)


def test_reads_every_frame_in_rgb(tmp_path, helpers):
    frames = [np.full((16, 16, 3), (200, 40, 10), np.uint8)] * 41
    helpers.write_video(tmp_path / 'translate' / 'n0' / 'a.mp4', frames)
    video = read_video(str(tmp_path / 'translate' / 'n0' / 'a.mp4'))
    assert len(video) == 41 and video[0].shape == (16, 16, 3)
    # flat colour survives the codec to within a few levels; red first
    assert np.abs(video[20].astype(int) - (200, 40, 10)).max() < 8
    with pytest.raises(FileNotFoundError, match='tilt'):
        imagenet_p_video_paths(str(tmp_path), 'tilt')


# model A's run and a different baseline model B's run (FP in %), with
# values chosen by hand
RUN_A = dict(difficulty=1, data='released',
             fp=dict(rotate=12.0, gaussian_noise=30.0, tilt=9.0),
             t5d=dict(rotate=0.6, gaussian_noise=1.8, tilt=0.25))
BASELINE_B = dict(difficulty=1, data='released',
                  fp=dict(rotate=24.0, gaussian_noise=20.0, tilt=36.0,
                          scale=5.0),
                  t5d=dict(rotate=0.8, gaussian_noise=1.2, tilt=1.0,
                           scale=0.3))


def test_normalisation_by_another_baseline_by_hand():
    out = normalise_by_baseline(RUN_A, BASELINE_B)
    # FR = 100 FP_A / FP_B: 12/24, 30/20, 9/36
    assert out['flip_rate'] == pytest.approx(
        dict(rotate=50.0, gaussian_noise=150.0, tilt=25.0), rel=1e-12)
    # T5D ratio = 100 T5D_A / T5D_B: 0.6/0.8, 1.8/1.2, 0.25/1.0
    assert out['t5d_ratio'] == pytest.approx(
        dict(rotate=75.0, gaussian_noise=150.0, tilt=25.0), rel=1e-12)
    # means over A's perturbations only (B's 'scale' is not one of them)
    assert out['mfp'] == pytest.approx((50 + 150 + 25) / 3, rel=1e-12)
    assert out['mt5d'] == pytest.approx((75 + 150 + 25) / 3, rel=1e-12)


@pytest.mark.parametrize('change,message', [
    (dict(difficulty=2), 'difficulty 2, this run at 1'),
    (dict(data='generated'), 'generated sequences, this run on released'),
    (dict(fp=dict(rotate=24.0, gaussian_noise=20.0)), 'lacks .*tilt'),
    (dict(fp=dict(BASELINE_B['fp'], tilt=0.0)), 'never flips on tilt'),
])
def test_unusable_baselines_are_refused(change, message):
    with pytest.raises(RobustnessInputError, match=message):
        normalise_by_baseline(RUN_A, dict(BASELINE_B, **change))
    with pytest.raises(RobustnessInputError, match=message):
        check_baseline(dict(BASELINE_B, **change), list(RUN_A['fp']), 1,
                       'released')


def test_missing_imagenet_c_folders_are_named(tmp_path):
    """The ImageNet-C side of the checks tools/robustness.py runs before
    building a model (its ImageNet-P side runs in test_tool.py)."""
    from PIL import Image

    from gcp_mm.robustness.imagenet_c import check_imagenet_c_inputs
    (tmp_path / 'val' / 'n0').mkdir(parents=True)
    Image.new('RGB', (8, 8)).save(tmp_path / 'val' / 'n0' / 'a.png')
    (tmp_path / 'c' / 'fog' / '1').mkdir(parents=True)
    val, c = str(tmp_path / 'val'), str(tmp_path / 'c')
    check_imagenet_c_inputs(['fog'], [1], val, c)  # complete: no error
    with pytest.raises(RobustnessInputError,
                       match='image folder not found: .*nowhere'
                       '; pass a <class>/<image> folder'):
        check_imagenet_c_inputs(['fog'], [1], str(tmp_path / 'nowhere'), c)
    (tmp_path / 'empty' / 'n0').mkdir(parents=True)
    with pytest.raises(RobustnessInputError, match='no images under .*empty'):
        check_imagenet_c_inputs(['fog'], [1], str(tmp_path / 'empty'), c)
    with pytest.raises(RobustnessInputError,
                       match='ImageNet-C folder not found: '
                       f'{c}/fog/2; download fog, or leave it out'):
        check_imagenet_c_inputs(['fog'], [1, 2], val, c)
    with pytest.raises(RobustnessInputError, match="unknown severity 6"):
        check_imagenet_c_inputs(['fog'], [6], val, c)
