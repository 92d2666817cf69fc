"""Claim 8 (the estimate tracks quality): a well-formed quick run whose verdicts follow its numbers."""

from __future__ import annotations

import math

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim08_loss_tracks_quality as claim
from wganlab.claims.result import verdict_of


def test_quick_run_is_well_formed_and_the_verdict_follows_the_numbers(quick_claim):
    result = quick_claim(8)
    assert_well_formed(result, 8)
    assert [row[1] for row in result.tables[0].rows] == list(claim.RUNS)
    optimum = result.tables[1]
    assert optimum.headers == claim.OPTIMUM_HEADERS
    assert [(row[0], row[1]) for row in optimum.rows] == [(seed, label) for seed in (0,) for label in claim.CRITICS]
    for _, _, evaluations, _, ratio, share, r, reference, converged_share, converged_r, converged in optimum.rows:
        assert evaluations >= 2  # a checkpoint at every evaluation, not the final one alone
        assert math.isfinite(ratio) and math.isfinite(share) and math.isfinite(converged_share)
        assert -1 <= r <= 1 and -1 <= reference <= 1 and -1 <= converged_r <= 1
        assert converged.endswith(f"of {-(-evaluations // claim.EVERY_OTHER)}")  # the first, then every other
    for outcome in result.outcomes:
        numbers = outcome.numbers
        checks = [numbers["rho WGAN"] >= claim.TRACKS, numbers["rho WGAN-GP"] >= claim.TRACKS,
                  not numbers["rho near-optimal GAN"] >= claim.TRACKS,
                  numbers["near-optimal GAN median JS / log 2"] >= claim.NEAR_LOG2]
        assert outcome.verdict == verdict_of(checks)


def test_the_rule_on_known_curves() -> None:
    def curve(rho: float, level: float = 0.0) -> claim.Curve:
        return rho, [1, 2, 3], [level] * 3, [3.0, 2.0, 1.0]

    tracking = {"WGAN": curve(0.9), "WGAN-GP": curve(0.7), "GAN, near-optimal D": curve(0.1, 0.9 * math.log(2)),
                "GAN": curve(0.9)}
    assert claim.outcome(0, tracking).verdict == "holds"  # the usual GAN is a contrast
    saturated = tracking | {"GAN, near-optimal D": curve(0.1, 0.5 * math.log(2))}
    assert claim.outcome(0, saturated).verdict == "mixed"
