"""The diagnostic probe, the tracking correlation and the findings rules, on cases with known answers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wganlab.diagnostics.findings import History, find
from wganlab.diagnostics.probe import heldout_gap, probe_critic
from wganlab.diagnostics.tracking import estimates_at_evaluations, quality_metric, rank_correlation, run_tracking
from wganlab.objectives.losses import LOSSES


def linear_critic(weight: list[float]) -> nn.Module:
    critic = nn.Linear(len(weight), 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight]))
    return critic


def test_probe_of_a_linear_critic_has_lipschitz_norm_w_and_the_exact_gap():
    critic = linear_critic([3.0, 4.0])  # ||w|| = 5
    rng = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=rng), torch.randn(64, 2, generator=rng) + 1.0
    held_out = real + torch.tensor([1.0, 0.0])  # D(held-out) = D(real) + 3 exactly
    record = probe_critic(critic, LOSSES["wasserstein"].critic, real, fake, rng, held_out, clip_value=4.0)
    for where in ("real", "fake", "interpolated", "spectral_bound"):
        assert record[f"lipschitz/{where}"] == pytest.approx(5.0, rel=1e-6)
    assert record["critic/heldout_gap"] == pytest.approx(-3.0, rel=1e-6)
    assert record["weights/clip_saturation"] == pytest.approx(0.5)  # |4| = c, |3| is not
    assert record["nonfinite/parameters"] == 0.0
    assert len(record["gradients/layer_norms"]) == 1 and math.isnan(record["gradients/log_slope"])


def test_heldout_gap_is_train_minus_held_out_mean_score():
    critic = linear_critic([1.0])
    train, held = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]])
    assert heldout_gap(critic, train, held) == pytest.approx((2.0, 0.0, 2.0))


def test_nonfinite_parameters_are_counted():
    critic = linear_critic([math.nan, 1.0, math.inf])
    record = probe_critic(critic, LOSSES["wasserstein"].critic, torch.ones(4, 3), torch.zeros(4, 3),
                          torch.Generator().manual_seed(0))
    assert record["nonfinite/parameters"] == 2.0


def test_rank_correlation_is_spearman():
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 1000]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(rank_correlation([1, 2], [1, 2]))  # too short
    assert math.isnan(rank_correlation([1, 2, 3], [5, 5, 5]))  # constant


def test_estimates_are_averaged_over_the_log_lines_since_the_previous_evaluation():
    stats = [{"step": s, "critic/estimate": float(s)} for s in (10, 20, 30, 40)]
    metrics = [{"step": 20, "w1_2000": 0.5}, {"step": 40, "w1_2000": 0.2}]
    assert quality_metric(metrics) == "w1_2000"
    assert estimates_at_evaluations(stats, metrics, "w1_2000") == ([20, 40], [15.0, 35.0], [0.5, 0.2])
    more = [{"step": s, "critic/estimate": 1.0 / s} for s in (10, 20, 30)]
    found = run_tracking(more, [{"step": s, "w1_2000": 2.0 / s} for s in (10, 20, 30)])
    assert (found.metric, found.rho, found.evaluations) == ("w1_2000", pytest.approx(1.0), 3)
    assert run_tracking(stats, [{"step": 20, "modes_2500": 3.0}]) is None


def history(**parts) -> History:
    base = {"config": {"objective": {"loss": "wasserstein", "clip_value": 0.01}}, "stats": [], "metrics": [],
            "diagnostics": []}
    return History(**(base | parts))


def titles(found) -> list[str]:
    return [f.title for f in found]


def test_no_rule_fires_on_a_healthy_run():
    stats = [{"step": 10 * i, "critic/estimate": 1.0 / i, "critic/loss": -1.0 / i} for i in range(1, 11)]
    metrics = [{"step": 10 * i, "w1_2000": 2.0 / i, "modes_2500": 25.0, "total_modes": 25.0} for i in range(1, 11)]
    probes = [{"step": 10 * i, "lipschitz/real": 1.0, "lipschitz/interpolated": 1.1, "critic/heldout_gap": 0.01,
               "gradients/log_slope": 0.01, "gradients/layer_norms": [1.0] * 6} for i in range(1, 11)]
    found = find(history(stats=stats, metrics=metrics, diagnostics=probes))
    assert [f.severity for f in found] == ["info"]
    assert titles(found) == ["The critic's estimate tracks sample quality"]


def test_each_rule_fires_on_its_case():
    probe = {"step": 100, "weights/clip_saturation": 0.9, "lipschitz/real": 40.0, "gradients/log_slope": -0.3,
             "gradients/layer_norms": [1.0] * 12, "nonfinite/parameters": 0.0}
    found = titles(find(history(diagnostics=[probe])))
    assert found == ["Weights saturated at the clip bound", "Critic far from 1-Lipschitz",
                     "Gradients explode towards the input"]
    stats = [{"step": 10, "critic/loss": math.nan}]
    assert titles(find(history(stats=stats))) == ["Non-finite values"]
    # estimate rising while W1 falls: does not track
    stats = [{"step": 10 * i, "critic/estimate": float(i)} for i in range(1, 7)]
    metrics = [{"step": 10 * i, "w1_2000": 1.0 / i} for i in range(1, 7)]
    found = titles(find(history(stats=stats, metrics=metrics)))
    assert found == ["The critic's estimate does not track sample quality"]
    gaps = [{"step": i, "critic/heldout_gap": 0.1 * i * i} for i in range(1, 7)]
    assert titles(find(history(diagnostics=gaps))) == ["Held-out gap growing: the critic is overfitting"]
    metrics = [{"step": 1, "modes_2500": 10.0, "total_modes": 25.0}]
    assert titles(find(history(metrics=metrics))) == ["Modes missing"]


def test_no_missing_modes_when_the_sample_count_cannot_cover_them():
    # 200 samples of 1,000 uniform modes hit ~181 on average: 170 is not mode collapse
    metrics = [{"step": 1, "modes_200": 170.0, "total_modes": 1000.0}]
    assert find(history(metrics=metrics)) == []


def test_a_gan_critic_is_not_held_to_lipschitz_one():
    probe = {"step": 1, "lipschitz/real": 40.0}
    config = {"objective": {"loss": "non-saturating"}}
    assert find(History(config, [], [], [probe])) == []


def test_gap_trend_needs_a_rising_gap_well_above_its_early_level():
    from wganlab.diagnostics.findings import gap_trend

    steps = [1, 2, 3, 4, 5, 6]
    rising = gap_trend(steps, [0.1, 0.1, 0.2, 0.4, 0.6, 0.8])
    assert rising.growing and rising.trend > 0.9 and rising.early == pytest.approx(0.1) and rising.final == 0.8
    assert not gap_trend(steps, [0.5, 0.5, 0.55, 0.6, 0.62, 0.65]).growing  # rising, but < 2x its early level
    assert not gap_trend(steps, [0.8, 0.1, 0.9, 0.2, 1.0, 0.3]).growing  # noise, no trend
