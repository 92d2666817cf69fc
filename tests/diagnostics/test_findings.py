"""The findings rules, each on a case where it must fire and on a healthy run where none may."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from wganlab import config as configuration
from wganlab.config import Config
from wganlab.diagnostics.findings import find
from wganlab.runlogs import RunLogs


def history(config: Config | None = None, **parts: list) -> RunLogs:
    """Run logs of a Wasserstein critic clipped at c = 0.01 unless `config` says otherwise."""
    config = config or configuration.load(overrides=["objective.constraint=clip", "objective.penalty=none"])
    base: dict[str, list] = {"stats": [], "metrics": [], "diagnostics": []}
    return RunLogs(Path("run"), config, **(base | parts), summary=None, figures=[])


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


def test_a_growing_gap_suggests_diffaugment_unless_the_run_has_it():
    gaps = [{"step": i, "critic/heldout_gap": 0.1 * i * i} for i in range(1, 7)]
    (plain,) = find(history(configuration.load(preset="digits"), diagnostics=gaps))
    assert "--set data.augment=diffaug" in plain.message
    augmented = configuration.load(preset="digits", overrides=["data.augment=diffaug", "data.augment_policy=cutout"])
    (found,) = find(history(augmented, diagnostics=gaps))
    assert "--set data.augment" not in found.message
    assert "more of color, translation, cutout in data.augment_policy (data.augment 'diffaug' has cutout)" in \
        found.message
    (found,) = find(history(dataclasses.replace(augmented, data=dataclasses.replace(
        augmented.data, augment_policy=("cutout", "color", "translation"))), diagnostics=gaps))
    assert "augment" not in found.message  # the whole policy already: nothing more to add


def test_no_missing_modes_when_the_sample_count_cannot_cover_them():
    # 200 samples of 1,000 uniform modes hit ~181 on average: 170 is not mode collapse
    metrics = [{"step": 1, "modes_200": 170.0, "total_modes": 1000.0}]
    assert find(history(metrics=metrics)) == []


def test_a_gan_critic_is_not_held_to_lipschitz_one():
    probe = {"step": 1, "lipschitz/real": 40.0}
    config = configuration.load(preset="gan-ns")
    assert find(history(config, diagnostics=[probe])) == []
    assert titles(find(history(diagnostics=[probe]))) == ["Critic far from 1-Lipschitz"]


def test_gap_trend_needs_a_rising_gap_well_above_its_early_level():
    from wganlab.diagnostics.findings import gap_trend

    steps = [1, 2, 3, 4, 5, 6]
    rising = gap_trend(steps, [0.1, 0.1, 0.2, 0.4, 0.6, 0.8])
    assert rising.growing and rising.trend > 0.9 and rising.early == pytest.approx(0.1) and rising.final == 0.8
    assert not gap_trend(steps, [0.5, 0.5, 0.55, 0.6, 0.62, 0.65]).growing  # rising, but < 2x its early level
    assert not gap_trend(steps, [0.8, 0.1, 0.9, 0.2, 1.0, 0.3]).growing  # noise, no trend
