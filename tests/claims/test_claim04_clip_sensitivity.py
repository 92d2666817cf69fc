"""Claim 4 (clip value): a well-formed quick run, the rule on made-up diagnoses, and the generator gradient."""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from tests.claims.conftest import assert_well_formed
from wganlab.claims import claim04_clip_sensitivity as claim


def test_quick_run_is_well_formed(quick_claim):
    result = quick_claim(4)
    assert_well_formed(result, 4)
    assert len(result.tables[0].rows) == len(claim.CLIP_VALUES)


def _diagnosis(clip_value: float, final_w1: float, saturation: float, median_gradient: float) -> claim.Diagnosis:
    return claim.Diagnosis(clip_value, [1], [final_w1], final_w1, saturation, 1.0, 1.0, median_gradient, 1.0)


def _runs(final_w1: tuple[float, float, float, float]) -> list[claim.Diagnosis]:
    """One seed's runs at c = 1, 0.1, 0.01, 0.001 with these final W1s: few weights at the largest c's bound, vanished
    gradients at the smallest (checks (3) and (4) pass)."""
    shapes = ((0.0, 10.0), (0.2, 1.0), (0.7, 1e-3), (0.95, 1e-7))  # (share at +/-c, median gradient) per c
    return [_diagnosis(c, w1, saturation, gradient)
            for c, w1, (saturation, gradient) in zip(claim.CLIP_VALUES, final_w1, shapes, strict=True)]


def test_rule_holds_for_the_papers_picture_and_not_when_the_smallest_c_is_best():
    paper = _runs((1.0, 0.5, 0.2, 0.6))
    assert claim._outcome(0, paper).verdict == "holds"
    smallest_best = paper[:3] + [dataclasses.replace(paper[3], final_w1=0.1)]
    assert claim._outcome(0, smallest_best).verdict == "mixed"


def test_the_verdict_is_the_median_over_seeds_so_one_lucky_seed_does_not_turn_it():
    paper = _runs((1.2, 0.3, 0.3, 0.8))
    lucky = [dataclasses.replace(paper[0], final_w1=0.2)] + paper[1:]  # the unconstrained critic did well once
    pooled = claim._pooled({0: paper, 1: lucky, 2: paper})
    assert claim._outcome(1, lucky).verdict == "mixed"
    assert pooled.verdict == "holds"
    assert pooled.numbers["median final W1 at c = 1"] == 1.2
    # two lucky seeds of three move the median: then the pooled checks fail as a single seed's would
    assert claim._pooled({0: lucky, 1: lucky, 2: paper}).verdict == "mixed"


def test_generator_gradient_rms_of_a_linear_pair():
    # G(z) = W z + b, D(x) = a . x: d(-mean D(G(z)))/db = -a, d/dW = -a mean(z)^T = 0 for latents of mean zero
    generator, critic = nn.Linear(2, 2), nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))
    latents = torch.tensor([[1.0, -2.0], [-1.0, 2.0]])
    rms = claim.generator_gradient_rms(generator, critic, latents)
    assert math.isclose(rms, math.sqrt((9.0 + 16.0) / 6.0), rel_tol=1e-6)
