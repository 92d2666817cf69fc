"""Claim 6 (unit gradient norm of the optimal critic): a well-formed quick run, the norm measures, the rule."""

from __future__ import annotations

import pytest
import torch

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim06_unit_gradient as claim
from wganlab.claims.claim06_unit_gradient import Row, unit_likeness


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(6)
    assert_well_formed(result, 6)
    for outcome in result.outcomes:
        converged = [row for row in result.tables[0].rows if row[0] == outcome.seed and row[3] == "yes"
                     and row[2] in {method.label for method in claim.PENALISED}]
        assert outcome.numbers["checks counted"] == 3 * len(converged)


def test_unit_likeness_of_known_norms() -> None:
    off, inside = unit_likeness(torch.tensor([1.0, 0.9, 1.3, 0.5, 1.1]))
    assert off == pytest.approx(0.1)
    assert inside == pytest.approx(3 / 5)


def _rows(converged: bool, off: float, inside: float, correlation: float) -> list[Row]:
    reference = Row(claim.REFERENCE, None, None, 1.0, 0.9, None, None)
    critics = [Row(method.label, converged, 100, 1.0, correlation, off, inside) for method in claim.PENALISED]
    return [*critics, reference]


def test_the_rule_counts_converged_critics_only() -> None:
    good = _rows(True, 0.05, 0.9, 0.9 - claim.NEAR_OPTIMAL)
    far = _rows(True, 0.05, 0.9, 0.9 - claim.NEAR_OPTIMAL - 0.01)  # unit norms, but not near f*
    unconverged = _rows(False, 0.5, 0.1, 0.0)
    assert claim.outcome(0, {"8gaussians": good, "swissroll": unconverged}).verdict == "holds"
    mixed = claim.outcome(0, {"8gaussians": good, "25gaussians": far})
    assert mixed.verdict == "mixed" and mixed.numbers["checks counted"] == 12
    assert mixed.numbers["r below reference GP lambda=10"] == pytest.approx(claim.NEAR_OPTIMAL + 0.01)
    assert claim.outcome(0, {"swissroll": unconverged}).verdict == "not judged"
