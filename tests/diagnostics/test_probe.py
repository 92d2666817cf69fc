"""The diagnostic probe on cases with known answers: a linear critic's Lipschitz norm, the held-out gap."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wganlab.diagnostics.probe import heldout_gap, probe_critic
from wganlab.objectives.losses import LOSSES


def linear_critic(weight: list[float]) -> nn.Module:
    critic = nn.Linear(len(weight), 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight]))
    return critic


def test_probe_of_a_linear_critic_has_lipschitz_norm_w_and_the_exact_gap():
    critic = linear_critic([3.0, 4.0])  # ||w|| = 5
    rng = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=rng), torch.randn(64, 2, generator=rng) + 1.0
    held_out = real + torch.tensor([1.0, 0.0])  # D(held-out) = D(real) + 3 exactly
    record = probe_critic(critic, LOSSES["wasserstein"].critic, real, fake, rng, held_out, clip_value=4.0)
    for where in ("real", "fake", "interpolated", "spectral_bound"):
        assert record[f"lipschitz/{where}"] == pytest.approx(5.0, rel=1e-6)
    assert record["critic/heldout_gap"] == pytest.approx(-3.0, rel=1e-6)
    assert record["weights/clip_saturation"] == pytest.approx(0.5)  # |4| = c, |3| is not
    assert record["nonfinite/parameters"] == 0.0
    assert len(record["gradients/layer_norms"]) == 1 and math.isnan(record["gradients/log_slope"])


def test_heldout_gap_is_train_minus_held_out_mean_score():
    critic = linear_critic([1.0])
    train, held = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]])
    assert heldout_gap(critic, train, held) == pytest.approx((2.0, 0.0, 2.0))


def test_nonfinite_parameters_are_counted():
    critic = linear_critic([math.nan, 1.0, math.inf])
    record = probe_critic(critic, LOSSES["wasserstein"].critic, torch.ones(4, 3), torch.zeros(4, 3),
                          torch.Generator().manual_seed(0))
    assert record["nonfinite/parameters"] == 2.0


@pytest.mark.parametrize("loss", ["wasserstein", "hinge", "non-saturating"])
def test_a_probe_in_chunks_equals_one_of_every_point_at_once(loss: str) -> None:
    """An image run's probe sends 64 points at a time through the critic (eval mode: a point's score does not
    depend on the others): every diagnostic as if all had gone at once, for a loss that is not linear too."""
    torch.manual_seed(0)
    critic = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(64, 1)
    ).double().eval()
    rng = torch.Generator().manual_seed(1)
    real, fake, held_out = (torch.randn(23, 1, 4, 4, generator=rng, dtype=torch.float64) for _ in range(3))
    seen: list[int] = []  # how many points each call of the critic got
    critic.register_forward_hook(lambda module, inputs, output: seen.append(len(inputs[0])))
    records, largest = [], []
    for chunk in (None, 5):
        seen.clear()
        records.append(probe_critic(critic, LOSSES[loss].critic, real, fake, torch.Generator().manual_seed(2),
                                    held_out, None, chunk))
        largest.append(max(seen))
    assert largest[0] > 5 and largest[1] == 5  # in chunks of 5, and not otherwise
    assert records[0].keys() == records[1].keys()
    for key, whole in records[0].items():
        assert records[1][key] == pytest.approx(whole, rel=1e-12, abs=1e-15), key
