"""Claim 9 (the held-out gap grows when the critic overfits): a well-formed quick run on a subset and on all data."""

from __future__ import annotations

from tests.claims.conftest import assert_well_formed


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(9)
    assert_well_formed(result, 9)
    (row,) = result.tables[0].rows
    assert row[0] == 0 and all(isinstance(value, float) for value in row[1:])
