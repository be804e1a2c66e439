"""Reading the demo's learning-rate sweep over seeds (gcp_mm.demo.sweep):
mean and spread per (head, rate), each head's best rate, and the rate at
which both heads have left chance (for the landscape figures)."""
import math

import pytest

from gcp_mm.demo.sweep import (
    best_rate,
    chance_loss,
    mean_curve,
    shared_learning_rate,
    summarise_seeds,
)


def test_seeds_are_summarised_by_mean_spread_and_the_mean_curve():
    curves = [[(1, 40.0), (2, 80.0), (3, 95.0)],
              [(1, 50.0), (2, 90.0), (3, 85.0)],
              [(1, 30.0), (2, 70.0), (3, 87.5)]]
    result = summarise_seeds(curves)
    assert result['top1_seeds'] == [95.0, 85.0, 87.5]
    assert result['top1'] == pytest.approx(89.1666667)
    # sample standard deviation: sqrt(sum of squared deviations / (n - 1))
    deviations = [95.0 - 89.1666667, 85.0 - 89.1666667, 87.5 - 89.1666667]
    assert result['top1_std'] == pytest.approx(
        math.sqrt(sum(d * d for d in deviations) / 2))
    assert mean_curve(curves) == [(1, 40.0), (2, 80.0),
                                  (3, pytest.approx(89.1666667))]
    assert result['epoch_to_90'] is None  # the mean never reaches 90%
    assert summarise_seeds(curves[:2])['epoch_to_90'] == 3  # (95+85)/2


def test_one_seed_has_no_spread():
    result = summarise_seeds([[(1, 50.0), (2, 91.0)]])
    assert result == dict(top1=91.0, top1_seeds=[91.0], top1_std=None,
                          epoch_to_90=2)


def sweep(gap, gcp):
    rates = ('0.006508', '0.01302', '0.05206')
    return {head: {r: dict(top1=t) for r, t in zip(rates, tops)}
            for head, tops in (('gap', gap), ('gcp', gcp))}


def test_best_rate_per_head_smaller_on_a_tie():
    results = sweep([82.0, 95.3, 15.6], [25.8, 33.6, 96.1])
    assert best_rate(results['gap']) == '0.01302'
    assert best_rate(results['gcp']) == '0.05206'
    assert best_rate(sweep([90.0, 90.0, 10.0], [0, 0, 0])['gap']) == \
        '0.006508'


def test_shared_rate_is_where_the_worse_head_is_best_if_both_learn():
    # the demo's first measured sweep: at no rate do both reach 50%
    assert shared_learning_rate(sweep([82.0, 95.3, 15.6],
                                      [25.8, 33.6, 96.1])) is None
    # both learn at 1x and 4x; the worse head is better at 4x
    assert shared_learning_rate(sweep([82.0, 95.3, 60.0],
                                      [25.8, 55.0, 96.1])) == '0.05206'
    assert shared_learning_rate(sweep([82.0, 95.3, 60.0],
                                      [25.8, 55.0, 96.1]),
                                threshold=70.0) is None


def test_chance_loss_is_the_cross_entropy_of_a_uniform_guess():
    assert chance_loss(8) == pytest.approx(2.0794415)
