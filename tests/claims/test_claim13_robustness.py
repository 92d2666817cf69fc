"""Claim 13 (robustness over random architectures): a well-formed quick run and the rule's pieces."""

from __future__ import annotations

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim13_robustness as claim
from wganlab.models.mlp import ACTIVATIONS


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(13)
    assert_well_formed(result, 13)
    summary = result.tables[0].rows[0]
    assert summary[0] == sum(summary[1:])  # every architecture falls in exactly one column


def test_architectures_are_a_function_of_the_seed():
    first, again, other = (claim.sample_architectures(12, seed) for seed in (3, 3, 4))
    assert first == again and first != other
    for architecture in first:
        assert architecture.depth in claim.DEPTHS and architecture.width in claim.WIDTHS
        assert architecture.activation in ACTIVATIONS and architecture.latent_dim in claim.LATENT_DIMS


def test_verdict_by_the_margin():
    assert claim._verdict(0.9, 0.2) == "holds"
    assert claim._verdict(0.5, 0.4) == "mixed"
    assert claim._verdict(0.3, 0.3) == "does not hold"
    assert claim.Outcome(modes=7, hq_percent=0.0, w1=1.0).success
    assert not claim.Outcome(modes=6, hq_percent=90.0, w1=0.1).success
