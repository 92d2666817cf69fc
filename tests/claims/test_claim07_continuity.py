"""Claim 7 (parallel lines): a well-formed quick run, the rule on made-up curves, and a bound on sample W1."""

from __future__ import annotations

import math

import pytest

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim07_continuity as claim


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(7)
    assert_well_formed(result, 7)
    assert len(result.tables[0].rows) == len(claim.QUICK_THETAS)


def test_exact_curves_hold_and_a_flat_gan_curve_does_not():
    thetas = (-0.5, 0.0, 0.05, 1.0)
    exact = claim.Curves(
        thetas, [abs(t) for t in thetas], [math.log(2) * (t != 0) for t in thetas], [abs(t) for t in thetas]
    )
    assert claim._outcome(0, exact).verdict == "holds"
    flat = claim.Curves(thetas, exact.wgan, [0.0] * len(thetas), exact.w1)
    assert claim._outcome(0, flat).verdict == "mixed"
    nothing = claim.Curves(thetas, [5.0] * 4, [-1.0] * 4, [5.0] * 4)
    assert claim._outcome(0, nothing).verdict == "does not hold"


@pytest.mark.parametrize("theta", [0.0, 0.3])
def test_sample_w1_is_at_least_the_gap_and_close_to_it(theta):
    # every transport path between the lines crosses the gap |theta|; the z-mismatch of 400 points adds ~0.02
    w1 = claim.sample_w1(theta, seed=0, samples=400)
    assert abs(theta) - 1e-9 <= w1 <= abs(theta) + 0.06
