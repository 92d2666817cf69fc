"""Claims 8-11 (whole training runs) at smoke-test size, and the pieces they are built from."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wganlab.claims.claim10_speed import time_to_threshold
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import VERDICTS, combine, verdict_of
from wganlab.claims.runner import parse_only, run_claims
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.rundir import RunLogs


def test_verdicts_combine_by_the_stated_rule():
    assert verdict_of([True, True]) == "holds"
    assert verdict_of([False, False]) == "does not hold"
    assert verdict_of([True, False]) == "mixed"
    assert combine(["holds", "holds"]) == "holds"
    assert combine(["does not hold"] * 3) == "does not hold"
    assert combine(["holds", "mixed"]) == "mixed"
    assert combine(["holds", "does not hold"]) == "mixed"


def test_only_parses_claim_numbers_and_refuses_unknown_ones():
    assert parse_only("2, 5,12") == [2, 5, 12]
    assert parse_only(None) == list(range(1, 14))
    for bad in ("14", "two", "0"):
        with pytest.raises(UserError):
            parse_only(bad)


def test_time_to_threshold_reads_the_training_clock_at_the_first_good_evaluation():
    stats = [{"step": s, "time/train_seconds": s / 10} for s in (10, 20, 30)]
    metrics = [{"step": 10, "w1_2000": 0.9}, {"step": 20, "w1_2000": 0.4}, {"step": 30, "w1_2000": 0.1}]
    trained = RunLogs(Path("."), Config(), stats, metrics, [], None, [])
    assert time_to_threshold(trained, 0.5) == pytest.approx(2.0)
    assert math.isinf(time_to_threshold(trained, 0.01))


def test_training_claims_at_smoke_size_share_their_runs(tmp_path):
    context = ClaimContext(
        seeds=(0,), quick=True, figure_dir=tmp_path / "figures", work_dir=tmp_path / "runs", log=lambda line: None
    )
    results = run_claims([8, 10, 11, 9], context)
    assert [r.number for r in results] == [8, 10, 11, 9]
    for result in results:
        assert result.verdict in VERDICTS and len(result.outcomes) == 1
        assert result.rule and result.protocol and result.expectation
        for figure in result.figures:
            assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # claims 8, 10 and 11 reuse the same paired runs: 2 data sets x 2 methods, plus 2 runs for claim 9
    assert len(list((tmp_path / "runs").iterdir())) == 6


def test_seed_table_has_a_row_per_seed_and_none_where_a_seed_lacks_a_number():
    from wganlab.claims.result import Claim, ClaimResult, SeedOutcome

    outcomes = (SeedOutcome(0, "holds", {"a": 1.0, "b": 2.0}), SeedOutcome(1, "mixed", {"b": 3.0}))
    result = ClaimResult(Claim(1, "t", "s", "e"), "p", "r", outcomes, (), ())
    table = result.seed_table()
    assert table.headers == ("seed", "verdict", "a", "b")
    assert table.rows == ((0, "holds", 1.0, 2.0), (1, "mixed", None, 3.0))
    assert result.verdict == "mixed"
