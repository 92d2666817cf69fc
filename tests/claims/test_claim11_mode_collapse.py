"""Claim 11 (a GAN drops more modes than WGAN-GP): a well-formed quick run whose verdict follows the mode counts."""

from __future__ import annotations

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim11_mode_collapse as claim


def test_quick_run_is_well_formed_and_the_verdict_follows_the_modes(quick_claim):
    result = quick_claim(11)
    assert_well_formed(result, 11)
    (outcome,) = result.outcomes
    fewer = outcome.numbers["modes GAN"] <= outcome.numbers["modes WGAN-GP"] - claim.MARGIN
    assert outcome.verdict == ("holds" if fewer else "does not hold")
    assert "modes_300" in result.protocol  # the metric's name, with its sample count, from the run itself
