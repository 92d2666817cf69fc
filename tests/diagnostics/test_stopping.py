"""The plateau rule: its noise measure, when it fires and when it must not, and the hindsight report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from wganlab import config as configuration
from wganlab.diagnostics.findings import find
from wganlab.diagnostics.stopping import find_plateau, metric_noise, plateau_at, stopping_report
from wganlab.runlogs import RunLogs


def test_the_noise_is_the_spread_of_one_evaluation_with_or_without_a_trend() -> None:
    rng = np.random.default_rng(0)
    noise = 0.1 * rng.standard_normal(400)
    assert metric_noise(1.0 + noise) == pytest.approx(0.1, rel=0.2)
    assert metric_noise(1.0 - 0.01 * np.arange(400) + noise) == pytest.approx(0.1, rel=0.2)
    jumps = 1.0 + noise
    jumps[::40] += 5.0  # a few wild evaluations do not inflate it
    assert metric_noise(jumps) == pytest.approx(0.1, rel=0.25)


def _falls_then_flattens(seed: int, knee: int = 30, count: int = 60) -> tuple[list[int], list[float]]:
    rng = np.random.default_rng(seed)
    index = np.arange(count)
    level = np.where(index < knee, 3.0 - 2.0 * index / knee, 1.0)
    return [100 * (i + 1) for i in index], list(level + 0.05 * rng.standard_normal(count))


def test_the_rule_fires_after_the_curve_flattens_and_never_on_a_steady_fall() -> None:
    for seed in range(5):
        steps, values = _falls_then_flattens(seed)
        plateau = find_plateau(steps, values, patience=5)
        assert plateau is not None
        assert 3000 <= plateau.step <= 4000 and plateau.detected_at == plateau.step + 500
        assert 0.02 < plateau.noise < 0.1  # measured on 10 evaluations: the right size, not exact
        steady = [3.0 - 0.05 * i + 0.05 * n for i, n in enumerate(np.random.default_rng(seed).standard_normal(60))]
        assert find_plateau(steps, steady, patience=5) is None


def test_the_rule_is_causal_and_a_non_finite_value_never_makes_a_plateau() -> None:
    steps, values = _falls_then_flattens(1)
    plateau = find_plateau(steps, values, patience=5)
    index = steps.index(plateau.detected_at)
    assert plateau_at(steps[: index + 1], values[: index + 1], index, patience=5) == plateau
    assert all(plateau_at(steps, values, i, patience=5) is None for i in range(index))
    broken = values[: index + 1]
    broken[-1] = math.nan
    assert plateau_at(steps, broken, index, patience=5) is None
    with pytest.raises(ValueError, match="patience"):
        plateau_at(steps, values, index, patience=1)


def _logs(steps: list[int], quality: list[float], estimate: list[float], patience: int) -> RunLogs:
    config = configuration.load(overrides=[f"train.plateau_patience={patience}"])
    metrics = [{"step": s, "w1_2000": q} for s, q in zip(steps, quality, strict=True)]
    stats = [{"step": s, "critic/estimate": e} for s, e in zip(steps, estimate, strict=True)]
    return RunLogs(Path("run"), config, stats, metrics, [], None, [])


def test_the_report_says_where_it_was_safe_to_stop_and_whether_the_estimate_told() -> None:
    steps, quality = _falls_then_flattens(2)
    tracking = [q + 0.3 for q in quality]  # the estimate follows quality: it levels off with it
    early = [max(2.0, q) for q in quality]  # levels off at step 1500, long before quality does
    told = stopping_report(_logs(steps, quality, tracking, 5).stats, _logs(steps, quality, tracking, 5).metrics, 5)
    assert told is not None and 3000 <= told.safe_step <= 3600
    assert told.quality_cost <= 2 and told.estimate_told
    logs = _logs(steps, quality, early, 5)
    misled = stopping_report(logs.stats, logs.metrics, 5)
    assert misled.estimate is not None and misled.estimate.detected_at <= 2500
    assert misled.estimate_cost > 10 and not misled.estimate_told
    (finding,) = [f for f in find(logs) if f.title.startswith("Safe to stop")]
    assert f"Safe to stop at step {misled.safe_step}" == finding.title
    assert "would have misled" in finding.message and "lost" in finding.message


def test_a_run_improving_to_the_end_is_reported_as_such() -> None:
    steps = [100 * (i + 1) for i in range(40)]
    falling = [3.0 - 0.05 * i for i in range(40)]
    report = stopping_report(_logs(steps, falling, falling, 5).stats, _logs(steps, falling, falling, 5).metrics, 5)
    assert report.safe_step == steps[-1] and report.quality is None
    (finding,) = [f for f in find(_logs(steps, falling, falling, 5)) if "improving" in f.title]
    assert "never fired" in finding.message
