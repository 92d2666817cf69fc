"""Claim 1 (clipping biases the critic): a well-formed quick run, the quadratic share, and the rule's counting."""

from __future__ import annotations

import pytest
import torch

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim01_simple_critics as claim
from wganlab.claims import fixed_generator as fixed
from wganlab.claims.claim01_simple_critics import Measured, quadratic_share


def test_quick_run_is_well_formed_and_unconverged_critics_decide_nothing(quick_claim):
    result = quick_claim(1)
    assert_well_formed(result, 1)
    rows = result.tables[0].rows
    assert {row[2] for row in rows} == {*(method.label for method in claim.METHODS), claim.REFERENCE}
    for outcome in result.outcomes:  # the verdict follows the counted checks
        converged = {(row[1], row[2]) for row in rows if row[0] == outcome.seed and row[3] == "yes"}
        counted = [(data, method.label) for data in fixed.TOY_SETS for method in fixed.TOY_PENALISED
                   if {(data, method.label), (data, fixed.TOY_CLIP.label)} <= converged]
        assert outcome.numbers["checks counted"] == 2 * len(counted)
        assert (outcome.verdict == "not judged") == (not counted)


def _critics(clip: tuple[bool, float, float], penalised: tuple[bool, float, float]) -> dict[str, Measured]:
    def one(converged: bool, r: float, share: float) -> Measured:
        return Measured(converged, 100, {"r with f*": r, "W1 share": share})

    return {fixed.TOY_CLIP.label: one(*clip), **{method.label: one(*penalised) for method in fixed.TOY_PENALISED}}


def test_a_check_counts_only_when_both_critics_converged() -> None:
    gap = claim.MARGIN + 0.01
    passing = _critics((True, 0.5, 0.5), (True, 0.5 + gap, 0.5 + gap))
    failing = _critics((True, 0.5, 0.5), (True, 0.5, 0.5 + gap))  # r gap 0: one of each pair's checks fails
    unconverged = _critics((False, 0.9, 0.9), (True, 0.1, 0.1))
    assert claim.outcome(0, {"8gaussians": passing, "swissroll": unconverged}).verdict == "holds"
    mixed = claim.outcome(0, {"8gaussians": passing, "25gaussians": failing})
    assert mixed.verdict == "mixed" and mixed.numbers["checks counted"] == 8
    nothing = claim.outcome(0, {"swissroll": unconverged})
    assert nothing.verdict == "not judged" and nothing.numbers["checks counted"] == 0
    assert nothing.numbers["r gap swissroll GP lambda=10"] == pytest.approx(-0.8)


def test_quadratic_share_is_one_for_a_quadratic_critic() -> None:
    points = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))

    def quadratic(x: torch.Tensor) -> torch.Tensor:
        return (3 * x[:, :1] ** 2 - x[:, :1] * x[:, 1:] + 0.5 * x[:, 1:] - 2).double()

    assert quadratic_share(quadratic, points) == pytest.approx(1.0, abs=1e-9)
    assert quadratic_share(lambda x: torch.ones(len(x), 1), points) == 1.0
    assert quadratic_share(lambda x: x[:, :1].abs() ** 3 * x[:, 1:].sign(), points) < 0.9
