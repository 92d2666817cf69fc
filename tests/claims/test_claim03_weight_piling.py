"""Claim 3 (weights pile at +/-c): a well-formed quick run and the saturation measures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.claims.conftest import assert_well_formed
from wganlab.claims.claim03_weight_piling import fraction_near_largest, newly_saturated


def test_quick_run_is_well_formed(quick_claim):
    assert_well_formed(quick_claim(3), 3)


def test_fraction_near_largest_counts_parameters_within_one_percent_of_the_max() -> None:
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.995]]))
        layer.bias.copy_(torch.tensor([0.1, -0.989]))
    assert fraction_near_largest(layer) == pytest.approx(3 / 6)


def test_newly_saturated_counts_only_parameters_that_started_inside() -> None:
    start, end = nn.Linear(4, 1, bias=False), nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        start.weight.copy_(torch.tensor([[0.005, 0.01, -0.002, 0.0]]))
        end.weight.copy_(torch.tensor([[0.01, 0.01, -0.01, 0.003]]))
    assert newly_saturated(start, end, 0.01) == pytest.approx(2 / 3)
