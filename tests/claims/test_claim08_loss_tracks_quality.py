"""Claim 8 (the estimate tracks quality): a well-formed quick run whose verdicts follow its numbers."""

from __future__ import annotations

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim08_loss_tracks_quality as claim
from wganlab.claims.result import verdict_of


def test_quick_run_is_well_formed_and_the_verdict_follows_the_numbers(quick_claim):
    result = quick_claim(8)
    assert_well_formed(result, 8)
    for outcome in result.outcomes:
        numbers = outcome.numbers
        checks = [numbers["rho WGAN-GP"] >= claim.TRACKS, not numbers["rho GAN"] >= claim.TRACKS,
                  numbers["GAN median JS / log 2"] >= claim.NEAR_LOG2]
        assert outcome.verdict == verdict_of(checks)
