"""Claim 10 (WGAN is not always faster): the training clock at the first good evaluation, and a quick run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.claims.conftest import assert_well_formed
from wganlab.claims.claim10_speed import time_to_threshold
from wganlab.config import Config
from wganlab.runlogs import RunLogs


def test_time_to_threshold_reads_the_training_clock_at_the_first_good_evaluation():
    stats = [{"step": s, "time/train_seconds": s / 10} for s in (10, 20, 30)]
    metrics = [{"step": 10, "w1_2000": 0.9}, {"step": 20, "w1_2000": 0.4}, {"step": 30, "w1_2000": 0.1}]
    trained = RunLogs(Path("."), Config(), stats, metrics, [], None, [])
    assert time_to_threshold(trained, 0.5) == pytest.approx(2.0)
    assert math.isinf(time_to_threshold(trained, 0.01))


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(10)
    assert_well_formed(result, 10)
    assert len(result.tables[0].rows) == 2  # one row per data set
