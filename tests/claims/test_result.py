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


def test_a_verdict_that_changes_with_the_seed_says_so_and_names_the_checks_that_moved() -> None:
    from wganlab.claims.result import SeedOutcome, seed_dependence

    agree = [SeedOutcome(0, "holds", {"x": 1.0}, {"a": True}), SeedOutcome(1, "holds", {"x": 2.0}, {"a": True})]
    assert seed_dependence(agree) == ""
    moved = [SeedOutcome(0, "holds", {}, {"a": True, "b": True}), SeedOutcome(1, "mixed", {}, {"a": True, "b": False}),
             SeedOutcome(2, "mixed", {}, {"a": True, "b": False})]
    text = seed_dependence(moved)
    assert text.startswith("The verdict changes with the seed (0: holds, 1: mixed, 2: mixed).")
    assert "'b' passes on seed 0 and fails on 1, 2" in text and "'a'" not in text
    unnamed = [SeedOutcome(0, "holds", {"x": 1.0}), SeedOutcome(1, "does not hold", {"x": 0.0})]
    assert "per-seed table" in seed_dependence(unnamed)


def test_a_pooled_rule_gives_the_verdict_and_the_report_says_how_the_seeds_went() -> None:
    from wganlab.claims.result import Pooled, over_seeds, unjudged

    outcomes = (SeedOutcome(0, "holds", {}, {"a": True}), SeedOutcome(1, "mixed", {}, {"a": False}),
                SeedOutcome(2, "holds", {}, {"a": True}))
    plain = ClaimResult(Claim(4, "t", "s", "e"), "p", "r", outcomes, (), ())
    pooled = ClaimResult(Claim(4, "t", "s", "e"), "p", "r", outcomes, (), (),
                         pooled=Pooled("holds", {"median x": 0.25}, {"a": True}))
    assert plain.verdict == "mixed" and pooled.verdict == "holds"
    assert over_seeds(plain).startswith("The verdict changes with the seed")
    text = over_seeds(pooled)
    assert text.startswith("Judged seed by seed, the verdict would change with the seed (0: holds, 1: mixed")
    assert "The verdict is the pooled rule's: holds. Pooled numbers: median x 0.25. Checks: a: passes." in text
    assert unjudged(pooled).verdict == "not judged"
