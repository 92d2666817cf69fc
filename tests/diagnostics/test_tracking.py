"""Does the critic's estimate track quality: Spearman's rho and the estimate averaged per evaluation."""

from __future__ import annotations

import math

import pytest

from wganlab.diagnostics.tracking import estimates_at_evaluations, quality_metric, rank_correlation, run_tracking


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
