"""Claim 2 (gradients explode or vanish with depth): a well-formed quick run and the measures of the rule."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.claims.conftest import assert_well_formed
from wganlab.claims.claim02_gradient_depth import growth, passes, per_layer_norms, span


def test_quick_run_is_well_formed(quick_claim):
    assert_well_formed(quick_claim(2), 2)


def test_per_layer_norm_of_a_linear_critic_is_that_of_the_mean_difference() -> None:
    # d/d a_i of mean(fake scores) - mean(real scores) is -1/N on real rows, +1/N on fake: norm sqrt(2N) / N
    critic = nn.Sequential(nn.Linear(2, 1))
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    assert per_layer_norms(critic, (real, fake)) == pytest.approx([math.sqrt(8) / 4])


def test_growth_and_span_of_a_geometric_profile() -> None:
    norms = [10.0 ** (-0.5 * layer) for layer in range(12)]  # forward order: shrinking towards the output
    assert growth(norms) == pytest.approx(0.5)
    assert span(norms) == pytest.approx(5.5)
    assert passes("clip c=0.1", 3.0) and not passes("clip c=0.1", 2.9)
    assert passes("clip c=0.01", -3.0) and not passes("clip c=0.01", 3.0)
    assert passes("GP lambda=10", -1.0) and not passes("GP lambda=10", 1.1)
