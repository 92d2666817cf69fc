"""Claim 5 (gradient-norm clipping, MaxNorm): a well-formed quick run and the per-unit and box measures."""

from __future__ import annotations

import torch
from torch import nn

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim05_naive_constraints as claim
from wganlab.objectives.constraints import clip_weights_, max_norm_


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(5)
    assert_well_formed(result, 5)
    assert all(len(outcome.numbers) == 8 for outcome in result.outcomes)
    assert len(result.tables[0].rows) == len(claim.METHODS)


def _linear(weight: list[list[float]]) -> nn.Sequential:
    layer = nn.Linear(len(weight[0]), len(weight), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
    return nn.Sequential(layer, nn.ReLU())


def test_unit_norms_are_the_row_norms_of_every_linear_weight():
    critic = _linear([[3.0, 4.0], [0.0, 1.0]])
    torch.testing.assert_close(claim.unit_norms(critic), torch.tensor([5.0, 1.0]))


def test_maxnorm_bounds_unit_norms_without_piling_weights_at_a_box():
    critic = _linear([[3.0, 4.0], [0.0, 1.0], [0.0, -5.0]])
    max_norm_(critic, 2.0)  # rows [1.2, 1.6], [0, 1], [0, -2]
    torch.testing.assert_close(claim.unit_norms(critic), torch.tensor([2.0, 1.0, 2.0]))
    assert claim.box_saturation(critic) == 1 / 6  # only -2 sits at the largest |w|


def test_clipping_piles_weights_at_the_box():
    critic = _linear([[3.0, 4.0], [0.0, 1.0], [-6.0, 0.1]])
    clip_weights_(critic, 0.5)
    assert claim.box_saturation(critic) == 4 / 6  # 0.5, 0.5, 0.5, -0.5 at the bound; 0.0 and 0.1 inside
