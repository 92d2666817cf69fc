"""Claim 1 (clipping biases the critic): a well-formed quick run and the quadratic share."""

from __future__ import annotations

import pytest
import torch

from tests.claims.conftest import assert_well_formed
from wganlab.claims.claim01_simple_critics import quadratic_share


def test_quick_run_is_well_formed(quick_claim):
    assert_well_formed(quick_claim(1), 1)


def test_quadratic_share_is_one_for_a_quadratic_critic() -> None:
    points = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))

    def quadratic(x: torch.Tensor) -> torch.Tensor:
        return (3 * x[:, :1] ** 2 - x[:, :1] * x[:, 1:] + 0.5 * x[:, 1:] - 2).double()

    assert quadratic_share(quadratic, points) == pytest.approx(1.0, abs=1e-9)
    assert quadratic_share(lambda x: torch.ones(len(x), 1), points) == 1.0
    assert quadratic_share(lambda x: x[:, :1].abs() ** 3 * x[:, 1:].sign(), points) < 0.9
