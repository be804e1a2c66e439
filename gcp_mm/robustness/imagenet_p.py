"""ImageNet-P evaluation: flip probability (FP) and top-5 distance (T5D)
per perturbation on the released videos or on sequences generated on the
fly, and their normalisation by a baseline model's run (flip rates, mFP,
mT5D), as docs/robustness.md defines them."""
import json
import os
import os.path as osp
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .data import list_class_images
from .errors import RobustnessInputError
from .evaluate import (
    Progress,
    check_image_folder,
    predict,
)
from .metrics import (
    DIFFICULTIES,
    TEST_PERTURBATIONS,
    flip_probability,
    is_noise,
    top5_distance,
)


def imagenet_p_folder(root: str, perturbation: str,
                      difficulty: int = 1) -> str:
    """The released folder of a perturbation's videos at ``difficulty``.

    Only the noise perturbations have a folder per difficulty
    (``<name>_<d>`` for d > 1, generated with stronger noise); the others
    have the single ``<name>`` folder, whose frame subsequences vid[i::d]
    make difficulty d (docs/robustness.md)."""
    if is_noise(perturbation) and difficulty > 1:
        return osp.join(root, f'{perturbation}_{difficulty}')
    return osp.join(root, perturbation)


def imagenet_p_video_paths(root: str, perturbation: str,
                           difficulty: int = 1) -> List[str]:
    """``<folder>/<wnid>/*.mp4`` of ``imagenet_p_folder``, sorted."""
    folder = imagenet_p_folder(root, perturbation, difficulty)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'ImageNet-P folder not found: {folder}')
    paths = [osp.join(folder, wnid, name)
             for wnid in sorted(os.listdir(folder))
             if osp.isdir(osp.join(folder, wnid))
             for name in sorted(os.listdir(osp.join(folder, wnid)))
             if name.endswith('.mp4')]
    if not paths:
        raise FileNotFoundError(f'no <wnid>/*.mp4 videos under {folder}')
    return paths


def read_video(path: str) -> List[np.ndarray]:
    """RGB frames of an ImageNet-P ``.mp4`` (OpenCV, no resizing)."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame[..., ::-1])
    capture.release()
    if not frames:
        raise ValueError(f'could not decode any frame of {path}')
    return frames


def sequence_metrics(model, videos: Iterable[List[np.ndarray]], noise: bool,
                     difficulty: int = 1,
                     batch_size: int = 32) -> Tuple[float, float]:
    """(flip probability, top-5 distance) of ``model`` over videos of RGB
    frames, each the mean over videos of the per-video value (one video's
    class rankings are held at a time)."""
    flips, distances = [], []
    for frames in videos:
        scores, _ = predict(model, ((f, -1) for f in frames), batch_size)
        ranking = np.argsort(-scores, axis=1, kind='stable')[None]
        flips.append(flip_probability(ranking[..., 0], noise, difficulty))
        distances.append(top5_distance(ranking, noise, difficulty))
    if not flips:
        raise ValueError('no videos to evaluate')
    return float(np.mean(flips)), float(np.mean(distances))


def check_imagenet_p_inputs(perturbations: Sequence[str],
                            difficulty: int,
                            imagenet_p_root: Optional[str] = None,
                            clean_root: Optional[str] = None) -> None:
    """Fail with ``RobustnessInputError`` on an unknown perturbation or
    difficulty, or a folder that the evaluation would not find."""
    for name in perturbations:
        if name not in TEST_PERTURBATIONS:
            raise RobustnessInputError(
                f'unknown perturbation {name!r}; choose from '
                f'{", ".join(TEST_PERTURBATIONS)} (or leave --perturbations '
                'out for all 10)')
    if difficulty not in DIFFICULTIES:
        raise RobustnessInputError(
            f'unknown difficulty {difficulty}; choose from 1, 2, 3')
    if clean_root is not None:
        check_image_folder(clean_root, 'to make the sequences from')
    if imagenet_p_root is None:
        return
    if not osp.isdir(imagenet_p_root):
        raise RobustnessInputError(
            f'ImageNet-P folder not found: {imagenet_p_root}; pass the '
            'folder holding <perturbation>/<wnid>/*.mp4, or use '
            '--perturb-from to generate the sequences')
    for name in perturbations:
        try:
            imagenet_p_video_paths(imagenet_p_root, name, difficulty)
        except FileNotFoundError as err:
            raise RobustnessInputError(
                f'{err}; download {name}' +
                (f' at difficulty {difficulty}' if is_noise(name)
                 and difficulty > 1 else '') +
                ', or leave it out with --perturbations') from err


def evaluate_imagenet_p(model,
                        perturbations: Sequence[str],
                        difficulty: int = 1,
                        imagenet_p_root: Optional[str] = None,
                        clean_root: Optional[str] = None,
                        crop: int = 224,
                        seed: int = 0,
                        batch_size: int = 32,
                        stream=None) -> Dict[str, object]:
    """FP (%) and T5D per perturbation, and their unnormalised means.

    With ``imagenet_p_root`` the released videos are read
    (``imagenet_p_folder``); otherwise the sequences are generated from
    the images of ``clean_root`` (``perturbation_sequence``, seeded by
    ``seed`` + the image's index)."""
    if (imagenet_p_root is None) == (clean_root is None):
        raise ValueError('give exactly one of imagenet_p_root, clean_root')
    progress = Progress(len(perturbations), stream)
    fps, t5ds = {}, {}
    for name in perturbations:
        if imagenet_p_root is not None:
            videos: Iterator = (read_video(path) for path in
                                imagenet_p_video_paths(imagenet_p_root, name,
                                                       difficulty))
        else:
            videos = _generated_sequences(clean_root, name, difficulty, crop,
                                          seed)
        fp, t5d = sequence_metrics(model, videos, is_noise(name), difficulty,
                                   batch_size)
        fps[name], t5ds[name] = 100 * fp, t5d
        progress.step(f'{name}: FP {100 * fp:.2f}%  T5D {t5d:.3f}')
    return dict(
        difficulty=difficulty,
        data='released' if imagenet_p_root is not None else 'generated',
        fp=fps,
        t5d=t5ds,
        mean_fp=float(np.mean(list(fps.values()))),
        mean_t5d=float(np.mean(list(t5ds.values()))))


def _generated_sequences(clean_root: str, perturbation: str,
                         difficulty: int, crop: int,
                         seed: int) -> Iterator[List[np.ndarray]]:
    from PIL import Image

    from .perturbations import perturbation_sequence
    _, items = list_class_images(clean_root)
    for index, (path, _) in enumerate(items):
        yield perturbation_sequence(Image.open(path), perturbation,
                                    difficulty, crop, seed=seed + index)


def check_baseline(baseline: Dict[str, object],
                   perturbations: Sequence[str],
                   difficulty: int,
                   data: Optional[str] = None,
                   source: str = 'the baseline') -> None:
    """Fail with ``RobustnessInputError`` unless ``baseline`` (the
    ``imagenet_p`` results of a run) can normalise a run of
    ``perturbations`` at ``difficulty`` on ``data`` ('released' or
    'generated' sequences; not checked when either is unknown)."""
    if data and baseline.get('data') and baseline['data'] != data:
        raise RobustnessInputError(
            f'{source} was evaluated on {baseline["data"]} sequences, this '
            f'run on {data} ones; pass a baseline run on the same data')
    if baseline.get('difficulty', 1) != difficulty:
        raise RobustnessInputError(
            f'{source} was evaluated at difficulty '
            f'{baseline.get("difficulty", 1)}, this run at {difficulty}; '
            f'pass a baseline run with --difficulty {difficulty}')
    missing = [n for n in perturbations
               if n not in baseline.get('fp', {})
               or n not in baseline.get('t5d', {})]
    if missing:
        raise RobustnessInputError(
            f'{source} lacks the perturbations {", ".join(missing)}; rerun '
            'the baseline with them, or leave them out with --perturbations')
    zero = [n for n in perturbations
            if baseline['fp'][n] == 0 or baseline['t5d'][n] == 0]
    if zero:
        raise RobustnessInputError(
            f'{source}: the baseline never flips on {", ".join(zero)}, so '
            'ratios to it are undefined; use another baseline, or leave '
            'them out with --perturbations')


def read_baseline(path: str,
                  perturbations: Sequence[str],
                  difficulty: int,
                  data: Optional[str] = None) -> Dict[str, object]:
    """The ``imagenet_p`` results of a ``robustness.json`` written by
    tools/robustness.py, checked by ``check_baseline``."""
    hint = ('run tools/robustness.py on the baseline model with --imagenet-p '
            'or --perturb-from first and pass its <work-dir>/robustness.json')
    if not osp.isfile(path):
        raise RobustnessInputError(f'baseline file not found: {path}; {hint}')
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RobustnessInputError(
            f'cannot read baseline {path} ({err}); {hint}') from err
    baseline = report.get('imagenet_p') if isinstance(report, dict) else None
    if not isinstance(baseline, dict) or not baseline.get('fp'):
        raise RobustnessInputError(
            f'{path} has no ImageNet-P results; {hint}')
    check_baseline(baseline, perturbations, difficulty, data, path)
    return baseline


def normalise_by_baseline(result: Dict[str, object],
                          baseline: Dict[str, object]) -> Dict[str, object]:
    """Flip rates FR_p = FP_p / FP_p^baseline and T5D ratios (both in %)
    of an ``evaluate_imagenet_p`` result, and their means mFP and mT5D
    over the result's perturbations (docs/robustness.md, with the baseline
    model in AlexNet's place)."""
    names = list(result['fp'])
    check_baseline(baseline, names, result['difficulty'],
                   result.get('data'))
    flip_rate = {n: 100 * result['fp'][n] / baseline['fp'][n]
                 for n in names}
    t5d_ratio = {n: 100 * result['t5d'][n] / baseline['t5d'][n]
                 for n in names}
    return dict(
        flip_rate=flip_rate,
        t5d_ratio=t5d_ratio,
        mfp=float(np.mean(list(flip_rate.values()))),
        mt5d=float(np.mean(list(t5d_ratio.values()))))
