"""Claim results: verdicts combine by the stated rules; the per-seed table; the claim's prose through the result."""

from __future__ import annotations

import pytest

from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, combine, verdict_of


def test_verdicts_combine_by_the_stated_rule():
    assert verdict_of([True, True]) == "holds"
    assert verdict_of([False, False]) == "does not hold"
    assert verdict_of([True, False]) == "mixed"
    assert combine(["holds", "holds"]) == "holds"
    assert combine(["does not hold"] * 3) == "does not hold"
    assert combine(["holds", "mixed"]) == "mixed"
    assert combine(["holds", "does not hold"]) == "mixed"
    with pytest.raises(ValueError):
        combine([])
    with pytest.raises(ValueError):
        verdict_of([])


def test_seed_table_has_a_row_per_seed_and_none_where_a_seed_lacks_a_number():
    outcomes = (SeedOutcome(0, "holds", {"a": 1.0, "b": 2.0}), SeedOutcome(1, "mixed", {"b": 3.0}))
    result = ClaimResult(Claim(1, "t", "s", "e"), "p", "r", outcomes, (), ())
    table = result.seed_table()
    assert table.headers == ("seed", "verdict", "a", "b")
    assert table.rows == ((0, "holds", 1.0, 2.0), (1, "mixed", None, 3.0))
    assert result.verdict == "mixed"


def test_the_claims_prose_is_read_through_the_result():
    claim = Claim(4, "title", "source", "expectation")
    result = ClaimResult(claim, "protocol", "rule", (SeedOutcome(0, "holds", {}),), (), ())
    assert (result.number, result.title, result.source, result.expectation) == (4, "title", "source", "expectation")
    assert result.seconds == 0.0 and result.notes == ""


def test_table_rows_must_match_the_headers():
    with pytest.raises(AssertionError):
        Table(("a", "b"), ((1,),))
