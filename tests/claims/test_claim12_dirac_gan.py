"""Claim 12 (Dirac-GAN): a well-formed quick run, and the rule's classes."""

from __future__ import annotations

import pytest
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


def test_rpgan_rows_have_the_closed_form_eigenvalues_of_a_gan_with_a_zero_centred_penalty():
    """With D(real) = 0, RpGAN's Jacobian at (0, 0) is the GAN's [[0, -1/2], [1/2, -2w]] for a psi^2 penalty of weight
    w: eigenvalues -w +- i sqrt(1/4 - w^2). R1 alone is w = 0.15; R1 + R2 penalises psi^2 twice, w = 0.3."""
    from wganlab.claims.dirac_gan import jacobian_eigenvalues
    from wganlab.objectives.objective import build_objective

    methods = {method.label: method for method in claim.METHODS}
    for label, weight in (("RpGAN + R1, gamma 0.3", 0.15), ("RpGAN + R1 + R2, gamma 0.3", 0.3)):
        values = jacobian_eigenvalues(build_objective(methods[label].objective), torch.Generator().manual_seed(0))
        expected = complex(-weight, (0.25 - weight**2) ** 0.5)
        assert sorted(values.tolist(), key=lambda v: v.imag) == pytest.approx([expected.conjugate(), expected],
                                                                               abs=1e-6)
