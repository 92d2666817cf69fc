"""build(config): seeded and reproducible, no global RNG side effects, every name resolved."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor
from torch.nn.utils import parametrize
from torch.testing import assert_close

from wganlab import config as configuration
from wganlab.training.build import build
from wganlab.training.step import Run, TrainState

TINY = ["model.width=16", "model.depth=1", "train.batch_size=32"]


def _build(*overrides: str) -> tuple[Run, TrainState]:
    return build(configuration.load(None, "grid", [*TINY, *overrides]))


def _weights(state: TrainState) -> list[Tensor]:
    return [*state.generator.state_dict().values(), *state.critic.state_dict().values()]


def _first_batch(run: Run, state: TrainState) -> tuple[Tensor, Tensor]:
    real = run.dataset.sample(32, state.data_rng)
    latents = torch.randn(32, run.config.model.latent_dim, generator=state.rng)
    return real, latents


@pytest.mark.parametrize("constraint", ["none", "spectral-norm"])
@pytest.mark.equivalence
def test_same_seed_gives_bit_identical_state(constraint: str) -> None:
    first_run, first = _build("train.seed=3", f'objective.constraint="{constraint}"')
    second_run, second = _build("train.seed=3", f'objective.constraint="{constraint}"')
    first_weights, second_weights = _weights(first), _weights(second)
    assert len(first_weights) == len(second_weights) > 0
    assert all(torch.equal(a, b) for a, b in zip(first_weights, second_weights, strict=True))
    for a, b in zip(_first_batch(first_run, first), _first_batch(second_run, second), strict=True):
        assert torch.equal(a, b)


def test_different_seed_differs() -> None:
    run_a, a = _build("train.seed=0")
    run_b, b = _build("train.seed=1")
    assert not all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(b), strict=True))
    assert not torch.equal(a.generator.net[0].weight, b.generator.net[0].weight)
    assert not torch.equal(a.critic.net[0].weight, b.critic.net[0].weight)
    real_a, latents_a = _first_batch(run_a, a)
    real_b, latents_b = _first_batch(run_b, b)
    assert not torch.equal(real_a, real_b)
    assert not torch.equal(latents_a, latents_b)


def test_data_and_latent_streams_are_distinct() -> None:
    run, state = _build()
    real_rng = torch.Generator().set_state(state.data_rng.get_state())
    assert not torch.equal(state.rng.get_state(), state.data_rng.get_state())
    assert torch.equal(run.dataset.sample(8, real_rng), run.dataset.sample(8, state.data_rng))


@pytest.mark.parametrize("constraint", ["none", "spectral-norm"])
def test_build_leaves_global_rng_alone(constraint: str) -> None:
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    _build(f'objective.constraint="{constraint}"')
    assert torch.equal(torch.get_rng_state(), before)


def test_build_does_not_depend_on_global_rng() -> None:
    torch.manual_seed(1)
    _, a = _build()
    torch.manual_seed(2)
    _, b = _build()
    assert all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(b), strict=True))


def test_spectral_norm_wraps_every_critic_linear() -> None:
    _, state = _build('objective.constraint="spectral-norm"')
    linears = [m for m in state.critic.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 2  # depth 1: hidden and output layer
    assert all(parametrize.is_parametrized(layer, "weight") for layer in linears)
    assert not parametrize.is_parametrized(state.generator.net[0], "weight")
    # the wrapped weight has spectral norm ~1 (the power iteration ran 15 times at wrap time)
    state.critic.eval()
    sigma = torch.linalg.matrix_norm(linears[0].weight.detach(), ord=2)
    assert_close(sigma, torch.tensor(1.0), rtol=0.05, atol=0.0)
    _, plain = _build()
    assert not any(parametrize.is_parametrized(m) for m in plain.critic.modules())


def test_ema_created_only_when_decay_positive() -> None:
    _, with_ema = _build("train.ema_decay=0.99")
    assert with_ema.generator_ema is not None
    assert with_ema.sampler is with_ema.generator_ema
    assert with_ema.generator_ema is not with_ema.generator
    for e, g in zip(with_ema.generator_ema.parameters(), with_ema.generator.parameters(), strict=True):
        assert torch.equal(e, g) and not e.requires_grad
    _, without = _build("train.ema_decay=0.0")
    assert without.generator_ema is None
    assert without.sampler is without.generator
