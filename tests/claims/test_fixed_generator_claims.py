"""Claims 1, 2, 3 and 6 (critics trained against a fixed generator): quick runs and the math they add."""

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.claim01_simple_critics import quadratic_share
from wganlab.claims.claim02_gradient_depth import growth, passes, per_layer_norms, span
from wganlab.claims.claim03_weight_piling import fraction_near_largest, newly_saturated
from wganlab.claims.claim06_unit_gradient import unit_likeness
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import clipping, gradient_penalty
from wganlab.claims.result import VERDICTS, ClaimResult
from wganlab.claims.runner import run_claims

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[int, ClaimResult]:
    folder = tmp_path_factory.mktemp("claims")
    context = ClaimContext(
        seeds=(0, 1), quick=True, figure_dir=folder / "figures", work_dir=folder / "work", log=lambda line: None
    )
    return {result.number: result for result in run_claims([1, 2, 3, 6], context)}


@pytest.mark.parametrize("number", [1, 2, 3, 6])
def test_quick_run_is_well_formed(results: dict[int, ClaimResult], number: int) -> None:
    result = results[number]
    assert result.number == number
    assert result.verdict in VERDICTS
    assert [outcome.seed for outcome in result.outcomes] == [0, 1]
    assert all(outcome.verdict in VERDICTS and outcome.numbers for outcome in result.outcomes)
    assert result.rule and result.protocol and result.expectation and result.source
    assert result.figures and all(Path(figure).read_bytes()[:8] == PNG for figure in result.figures)
    assert all(Path(figure).stat().st_size < 150_000 for figure in result.figures)
    assert result.seconds > 0


def test_trained_critic_is_memoised(tmp_path: Path) -> None:
    context = ClaimContext(seeds=(0,), quick=True, figure_dir=tmp_path, work_dir=tmp_path)
    setup = fixed.CriticSetup("8gaussians", clipping(0.01), width=8, depth=1, iterations=3, batch_size=8, seed=0)
    assert fixed.trained_critic(context, setup) is fixed.trained_critic(context, setup)


def test_initial_critic_is_he_uniform_seeded_and_can_start_at_zero() -> None:
    setup = fixed.CriticSetup(
        "swissroll", gradient_penalty(10.0), width=16, depth=2, iterations=1, batch_size=8, seed=3, zero_output=True
    )
    critic = fixed.initial_critic(setup)
    hidden = critic.net[2]  # [16, 16]
    assert hidden.weight.abs().max() <= math.sqrt(6 / 16)
    assert torch.count_nonzero(hidden.bias) == 0
    torch.testing.assert_close(critic(torch.randn(5, 2)), torch.zeros(5, 1))
    again = fixed.initial_critic(setup)
    torch.testing.assert_close(again.net[0].weight, critic.net[0].weight)


def test_drift_compares_the_last_tenth_with_the_tenth_before_the_last_fifth() -> None:
    assert fixed.drift(tuple(float(i) for i in range(1, 11))) == pytest.approx((10 - 8) / 10)
    assert fixed.drift((2.0,) * 50) == 0.0


def test_quadratic_share_is_one_for_a_quadratic_critic() -> None:
    points = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))

    def quadratic(x: torch.Tensor) -> torch.Tensor:
        return (3 * x[:, :1] ** 2 - x[:, :1] * x[:, 1:] + 0.5 * x[:, 1:] - 2).double()

    assert quadratic_share(quadratic, points) == pytest.approx(1.0, abs=1e-9)
    assert quadratic_share(lambda x: torch.ones(len(x), 1), points) == 1.0
    assert quadratic_share(lambda x: x[:, :1].abs() ** 3 * x[:, 1:].sign(), points) < 0.9


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


def test_unit_likeness_of_known_norms() -> None:
    off, inside = unit_likeness(torch.tensor([1.0, 0.9, 1.3, 0.5, 1.1]))
    assert off == pytest.approx(0.1)
    assert inside == pytest.approx(3 / 5)
