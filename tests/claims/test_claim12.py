"""Claim 12 (Dirac-GAN): a well-formed quick run, and the rule's classes."""

from __future__ import annotations

import torch

from wganlab.claims import claim12_dirac_gan as claim
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import VERDICTS


def test_quick_run_is_well_formed(tmp_path):
    context = ClaimContext(seeds=(0, 1), quick=True, figure_dir=tmp_path / "fig", work_dir=tmp_path, log=lambda _: None)
    result = claim.run(context)
    assert result.number == 12 and result.verdict in VERDICTS
    assert [outcome.seed for outcome in result.outcomes] == [0, 1]
    assert all(outcome.verdict in VERDICTS for outcome in result.outcomes)
    assert result.rule and result.protocol and result.expectation and result.tables
    assert len(result.tables[0].rows) == len(claim.METHODS)
    for figure in result.figures:
        assert figure.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_classes_of_the_rule():
    assert claim.classify(0.005) == claim.CONVERGES
    assert claim.classify(0.7) == claim.CYCLES
    assert claim.classify(0.2) == "in between"


def test_tail_ratio_takes_the_largest_distance_of_the_tail():
    path = torch.zeros(100, 2, dtype=torch.float64)
    path[0] = torch.tensor([3.0, 4.0])  # distance 5
    path[60] = torch.tensor([0.0, 1.0])  # inside the last 50 steps
    assert claim.tail_ratio(path) == 0.2
