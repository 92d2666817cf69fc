"""The catalogue: every numbered claim is a module whose CLAIM carries its number and a title of its own."""

from __future__ import annotations

from wganlab.claims.catalogue import CLAIMS, experiment


def test_every_claim_module_names_itself_once():
    claims = [experiment(number).CLAIM for number in CLAIMS]
    assert [claim.number for claim in claims] == list(range(1, 16))
    assert len({claim.title for claim in claims}) == len(claims)
    assert all(claim.title and claim.source and claim.expectation for claim in claims)
    assert all(callable(experiment(number).run) for number in CLAIMS)
