"""Mode metrics: perfect samplers, hand-built counts, and the protocol's edge cases."""

from __future__ import annotations

import math

import pytest
import torch

from wganlab.data.toy import make_toy
from wganlab.metrics.modes import mode_coverage, perfect_sampler_hq_ceiling


def test_hq_ceiling_closed_form() -> None:
    assert perfect_sampler_hq_ceiling() == pytest.approx(0.988891, abs=1e-6)
    assert perfect_sampler_hq_ceiling(1.0) == pytest.approx(1 - math.exp(-0.5), rel=1e-12)


@pytest.mark.parametrize("name, k", [("grid", 25), ("ring", 8)])
def test_perfect_sampler_captures_every_mode(name: str, k: int) -> None:
    toy = make_toy(name)
    assert toy.centres is not None
    samples = toy.sample(2_500, torch.Generator().manual_seed(0))
    result = mode_coverage(samples, toy.centres, toy.sigma)
    assert result.modes == k and result.total_modes == k
    assert 0.97 <= result.high_quality <= 1.0
    # binomial std of the HQ fraction at 2,500 samples is 0.002
    assert result.high_quality == pytest.approx(perfect_sampler_hq_ceiling(), abs=0.01)
    assert 0.0 <= result.reverse_kl < 0.03
    assert len(result.counts) == k and sum(result.counts) == round(result.high_quality * 2_500)


def test_three_modes_with_equal_counts() -> None:
    toy = make_toy("grid")
    assert toy.centres is not None
    chosen = toy.centres[[0, 12, 24]]  # [3, 2]
    offsets = torch.tensor([[0.0, 0.0], [0.05, 0.0], [0.0, -0.1], [0.1, 0.1]])  # all within 3 sigma
    samples = (chosen[:, None, :] + offsets[None]).reshape(-1, 2)  # [12, 2]
    result = mode_coverage(samples, toy.centres, toy.sigma)
    assert result.modes == 3 and result.high_quality == 1.0
    assert result.counts[0] == result.counts[12] == result.counts[24] == 4 and sum(result.counts) == 12
    assert result.reverse_kl == pytest.approx(math.log(25 / 3), rel=1e-12)


def test_far_samples_give_nothing() -> None:
    centres = make_toy("ring").centres
    assert centres is not None
    samples = torch.full((100, 2), 5.0)
    result = mode_coverage(samples, centres, 0.01)
    assert result.modes == 0 and result.high_quality == 0.0
    assert math.isnan(result.reverse_kl)
    assert result.counts == (0,) * 8


def test_hand_built_counts_give_the_exact_kl() -> None:
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    samples = torch.tensor(
        [
            [0.0, 0.0],
            [0.01, 0.0],  # 1 sigma
            [0.0, -0.029],  # just inside 3 sigma
            [1.0, 0.02],
            [0.5, 0.5],  # not HQ: 0.707 from every centre
            [0.04, 1.0],  # not HQ: 4 sigma from (0, 1)
        ]
    )
    result = mode_coverage(samples, centres, sigma=0.01)
    assert result.counts == (3, 1, 0, 0)
    assert result.modes == 2 and result.total_modes == 4
    assert result.high_quality == pytest.approx(4 / 6, rel=1e-12)
    # p = (3/4, 1/4, 0, 0): KL = 3/4 log(3/4 * 4) + 1/4 log(1/4 * 4) = 3/4 log 3
    assert result.reverse_kl == pytest.approx(0.75 * math.log(3), rel=1e-12)
    # A wider HQ radius makes the last sample HQ too.
    assert mode_coverage(samples, centres, sigma=0.01, n_sigmas=5.0).counts == (3, 1, 1, 0)


def test_invalid_inputs_raise() -> None:
    centres = torch.zeros(3, 2)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(4, 3), centres, 0.1)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(4, 2), centres, 0.0)
