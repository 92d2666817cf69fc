"""Claim 12 (Dirac-GAN): a well-formed quick run, and the rule's classes."""

from __future__ import annotations

import torch

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim12_dirac_gan as claim


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(12)
    assert_well_formed(result, 12)
    assert len(result.tables[0].rows) == len(claim.METHODS)


def test_classes_of_the_rule():
    assert claim.classify(0.005) == claim.CONVERGES
    assert claim.classify(0.7) == claim.CYCLES
    assert claim.classify(0.2) == "in between"


def test_tail_ratio_takes_the_largest_distance_of_the_tail():
    path = torch.zeros(100, 2, dtype=torch.float64)
    path[0] = torch.tensor([3.0, 4.0])  # distance 5
    path[60] = torch.tensor([0.0, 1.0])  # inside the last 50 steps
    assert claim.tail_ratio(path) == 0.2
