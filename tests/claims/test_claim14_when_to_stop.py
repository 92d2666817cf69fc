"""Claim 14 (the estimate tells when to stop): a well-formed quick run whose verdicts follow its numbers."""

from __future__ import annotations

import math

from tests.claims.conftest import assert_well_formed
from wganlab.claims.result import verdict_of


def test_quick_run_is_well_formed_and_the_verdict_follows_the_numbers(quick_claim):
    result = quick_claim(14)
    assert_well_formed(result, 14)
    (table,) = result.tables
    assert len(table.rows) == 3 * len(result.outcomes)
    for outcome in result.outcomes:
        told = [value for key, value in outcome.numbers.items() if key.endswith("estimate tells")]
        assert len(told) == 3 and outcome.verdict == verdict_of([value == 1.0 for value in told])
        for key, value in outcome.numbers.items():
            if key.endswith("estimate cost") and not math.isnan(value):
                tells = outcome.numbers[key.replace("cost", "tells")]
                assert (value <= 2.0) == (tells == 1.0)  # a levelled-off estimate tells iff stopping there cost nothing
