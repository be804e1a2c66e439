"""Robustness metrics against hand-computed cases (docs/robustness.md)."""
import numpy as np
import pytest

from gcp_mm.robustness.metrics import (
    ALEXNET_CLEAN_ERROR,
    ALEXNET_ERRORS,
    BENCHMARK_CORRUPTIONS,
    corruption_error,
    flip_probability,
    imagenet_c_summary,
    is_noise,
    relative_corruption_error,
    top5_distance,
    top5_distance_pair,
)

# the 'avg' column of docs/robustness.md, typed separately from the table
ALEXNET_AVG = dict(
    gaussian_noise=0.886428, shot_noise=0.894468, impulse_noise=0.922640,
    defocus_blur=0.819880, glass_blur=0.826268, motion_blur=0.785948,
    zoom_blur=0.798360, snow=0.866816, frost=0.826572, fog=0.819324,
    brightness=0.564592, contrast=0.853204, elastic_transform=0.646056,
    pixelate=0.717840, jpeg_compression=0.606500, speckle_noise=0.845388,
    gaussian_blur=0.787108, spatter=0.717512, saturate=0.658248)


def test_alexnet_table_matches_its_average_column():
    assert set(ALEXNET_ERRORS) == set(ALEXNET_AVG)
    for name, avg in ALEXNET_AVG.items():
        assert np.mean(ALEXNET_ERRORS[name]) == pytest.approx(avg, abs=1e-6)


def test_corruption_error_by_hand():
    # sum of our errors 3.5 over AlexNet's 5 * 0.886428 = 4.43214
    ce = corruption_error([0.5, 0.6, 0.7, 0.8, 0.9], 'gaussian_noise')
    assert ce == pytest.approx(3.5 / 4.43214, rel=1e-9)
    # (3.5 - 5 * 0.3) / (4.43214 - 5 * 0.4348)
    rel = relative_corruption_error([0.5, 0.6, 0.7, 0.8, 0.9], 0.3,
                                    'gaussian_noise')
    assert rel == pytest.approx(2.0 / (4.43214 - 2.174), rel=1e-9)


def test_mce_and_relative_mce():
    # errors at 80% of AlexNet's: every CE is 80, so mCE = 80
    errors = {c: [0.8 * e for e in ALEXNET_ERRORS[c]]
              for c in BENCHMARK_CORRUPTIONS}
    summary = imagenet_c_summary(errors, 0.8 * ALEXNET_CLEAN_ERROR)
    assert summary['mce'] == pytest.approx(80.0)
    assert summary['relative_mce'] == pytest.approx(80.0)
    assert summary['clean_error'] == pytest.approx(80 * 0.4348)
    # a model whose errors grow half as fast as AlexNet's from a clean 0.2
    errors = {c: [0.2 + 0.5 * (e - ALEXNET_CLEAN_ERROR)
                  for e in ALEXNET_ERRORS[c]]
              for c in BENCHMARK_CORRUPTIONS}
    assert imagenet_c_summary(errors, 0.2)['relative_mce'] == \
        pytest.approx(50.0)


def test_mce_needs_all_benchmark_corruptions():
    with pytest.raises(ValueError, match='missing: .*jpeg_compression'):
        imagenet_c_summary({'gaussian_noise': [0.5] * 5}, 0.2)


def test_flip_probability_consecutive_and_noise_rule():
    preds = np.array([[1, 2, 2, 2, 2]])
    assert flip_probability(preds, noise=False) == pytest.approx(1 / 4)
    assert flip_probability(preds, noise=True) == pytest.approx(1.0)
    preds = np.array([[1, 1, 2, 2, 1]])
    # consecutive: 1-1, 1-2, 2-2, 2-1 -> 2 flips of 4
    assert flip_probability(preds, noise=False) == pytest.approx(0.5)
    # against frame 0: 1, 2, 2, 1 -> 2 flips of 4
    assert flip_probability(preds, noise=True) == pytest.approx(0.5)
    # difficulty 2: subsequences [1, 2, 1] and [1, 2] -> 3 flips of 3
    assert flip_probability(preds, noise=False, difficulty=2) == \
        pytest.approx(1.0)
    # difficulty 3: [1, 2, 1] (frames 0, 3, 6), [1, 1], [2, 2] -> 2 of 4;
    # consecutive: 1-1, 1-2, 2-2, 2-1, 1-2, 2-1 -> 4 of 6
    preds = np.array([[1, 1, 2, 2, 1, 2, 1]])
    assert flip_probability(preds, noise=False, difficulty=3) == \
        pytest.approx(0.5)
    assert flip_probability(preds, noise=False) == pytest.approx(4 / 6)
    # noise ignores the difficulty (it is in the data): 1 vs 1, 2, 2, 1,
    # 2, 1 -> 3 of 6
    assert flip_probability(preds, noise=True, difficulty=3) == \
        pytest.approx(0.5)
    # averaged over videos
    two = np.array([[0, 0, 0], [0, 1, 1]])
    assert flip_probability(two, noise=False) == pytest.approx(0.25)


def test_top5_distance_by_hand():
    ref = [0, 1, 2, 3, 4, 5, 6, 7]
    assert top5_distance_pair(ref, ref) == 0
    # top two swapped: |0 - 1| + |1 - 0|
    assert top5_distance_pair(ref, [1, 0, 2, 3, 4, 5, 6, 7]) == 2
    # the top class falls to rank 8 (index 7): |0 - min(7, 5)| = 5, and
    # classes 1..4 each move up one place: 4 * 1
    assert top5_distance_pair(ref, [1, 2, 3, 4, 5, 6, 7, 0]) == 9
    rankings = np.array([[ref, [1, 0, 2, 3, 4, 5, 6, 7], ref]])
    # consecutive: 2 then 2; against frame 0: 2 then 0
    assert top5_distance(rankings, noise=False) == pytest.approx(2.0)
    assert top5_distance(rankings, noise=True) == pytest.approx(1.0)


def test_noise_rule_is_the_name():
    assert [p for p in ('gaussian_noise', 'shot_noise', 'speckle_noise',
                        'motion_blur', 'rotate') if is_noise(p)] == [
                            'gaussian_noise', 'shot_noise', 'speckle_noise']
