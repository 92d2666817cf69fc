"""A conditional critic's probe, class by class, combined: what the probe of all the points would say."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab.diagnostics.probe import combine_class_probes, probe_critic
from wganlab.models.conditional import ClassBound
from wganlab.objectives.losses import LOSSES

F64 = torch.float64
K, PER_CLASS = 4, 6


class IgnoresLabels(nn.Module):
    """A conditional critic whose score does not depend on the label: its per-class probes, combined, must equal the
    probe of all the points at once."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)).double()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net(x)


@pytest.mark.parametrize("loss", ["wasserstein", "non-saturating", "hinge"])
def test_combined_class_probes_equal_the_probe_of_every_point(loss: str) -> None:
    rng = torch.Generator().manual_seed(1)
    real, fake, held_out = (torch.randn(K * PER_CLASS, 3, generator=rng, dtype=F64) + shift for shift in (0, 1, 0.5))
    critic, criterion = IgnoresLabels(), LOSSES[loss].critic
    parts = [
        probe_critic(ClassBound(critic, k), criterion, *(points[k * PER_CLASS:(k + 1) * PER_CLASS]
                                                          for points in (real, fake)),
                     torch.Generator().manual_seed(k), held_out[k * PER_CLASS:(k + 1) * PER_CLASS])
        for k in range(K)
    ]
    whole = probe_critic(ClassBound(critic, 0), criterion, real, fake, torch.Generator().manual_seed(0), held_out)
    combined = combine_class_probes(parts)
    assert_close(torch.tensor(combined["gradients/layer_norms"]), torch.tensor(whole["gradients/layer_norms"]))
    for key in ("lipschitz/real", "lipschitz/fake", "critic/train_score", "critic/heldout_score",
                "critic/heldout_gap", "gradients/log_slope", "lipschitz/spectral_bound"):
        assert combined[key] == pytest.approx(whole[key], rel=1e-12), key
