"""Claim 8 (the estimate tracks quality): a well-formed quick run whose verdicts follow its numbers."""

from __future__ import annotations

import math

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim08_loss_tracks_quality as claim
from wganlab.claims import critic_optimum
from wganlab.claims.result import verdict_of


def test_quick_run_is_well_formed_and_the_verdict_follows_the_numbers(quick_claim):
    result = quick_claim(8)
    assert_well_formed(result, 8)
    assert [row[1] for row in result.tables[0].rows] == list(claim.RUNS)
    optimum = result.tables[1]
    assert optimum.headers == critic_optimum.OPTIMUM_HEADERS
    assert [(row[0], row[1]) for row in optimum.rows] == [(seed, label) for seed in (0,) for label in claim.CRITICS]
    for row in optimum.rows:
        _, _, evaluations, _, ratio, share, r, reference, converged_share, converged_r, at_w1, at_share, converged = row
        assert evaluations >= 2  # a checkpoint at every evaluation, not the final one alone
        assert all(math.isfinite(x) for x in (ratio, share, converged_share, at_w1, at_share))
        assert -1 <= r <= 1 and -1 <= reference <= 1 and -1 <= converged_r <= 1
        assert converged.endswith(f"of {-(-evaluations // critic_optimum.EVERY_OTHER)}")  # the first, then every other
    tried = {(row[0], row[1]): -(-row[2] // critic_optimum.EVERY_OTHER) for row in optimum.rows}  # copies trained
    for outcome in result.outcomes:
        numbers, checks = outcome.numbers, []
        for index, label in enumerate(claim.CRITICS, start=1):
            counted = numbers[f"{label} copies converged"] >= claim.COUNTED * tried[outcome.seed, label]
            assert (f"({index}) the converged {label} critic's estimate tracks W1" in outcome.checks) == counted
            if counted:
                checks.append(numbers[f"rho {label}, converged critics"] >= claim.TRACKS)
        checks += [not numbers["rho near-optimal GAN"] >= claim.TRACKS,
                   numbers["near-optimal GAN median JS / log 2"] >= claim.NEAR_LOG2]
        assert outcome.verdict == verdict_of(checks)


def test_the_rule_on_known_curves() -> None:
    def curve(rho: float, level: float = 0.0) -> claim.Curve:
        return rho, [1, 2, 3, 4], [level] * 4, [4.0, 3.0, 2.0, 1.0]

    tracking = {"WGAN": curve(-0.9), "WGAN-GP": curve(0.7), "GAN, near-optimal D": curve(0.1, 0.9 * math.log(2)),
                "GAN": curve(0.9)}
    judged = {"WGAN": (0.9, 4, 4), "WGAN-GP": (0.7, 3, 4)}
    # the rule reads the converged critics, not the estimate logged in training; the usual GAN is a contrast
    assert claim.outcome(0, tracking, judged).verdict == "holds"
    assert claim.outcome(0, tracking, judged | {"WGAN": (0.5, 4, 4)}).verdict == "mixed"
    saturated = tracking | {"GAN, near-optimal D": curve(0.1, 0.5 * math.log(2))}
    assert claim.outcome(0, saturated, judged).verdict == "mixed"
    # a check counts only where at least COUNTED of the copies converged
    few = claim.outcome(0, tracking, judged | {"WGAN": (0.1, 2, 4)})
    assert few.verdict == "holds" and len(few.checks) == 3 and few.numbers["WGAN copies converged"] == 2


def _measured(step: int, estimate: float, converged: bool) -> critic_optimum.Nearness:
    return critic_optimum.Nearness(step, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, estimate, 0.5, 0.5, converged)


def test_converged_tracking_pairs_each_copy_with_w1_at_its_step() -> None:
    curve = (0.0, [10, 20, 30, 40, 50], [0.0] * 5, [5.0, 4.0, 3.0, 2.0, 1.0])
    falling = [_measured(10, 9.0, True), _measured(20, math.nan, False), _measured(30, 7.0, True),
               _measured(40, 8.0, False), _measured(50, 1.0, True)]
    assert claim.converged_tracking(curve, falling) == (1.0, 3, 4)  # the copy at its cap (step 40) is left out
    rising = [_measured(step, float(step), True) for step in (10, 30, 50)]
    assert claim.converged_tracking(curve, rising) == (-1.0, 3, 3)
