"""Optimisers and learning-rate schedules: chosen by name, with the configured rates, betas and decay."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from wganlab import config as configuration
from wganlab.config import OptimConfig
from wganlab.errors import ConfigError
from wganlab.training.build import build
from wganlab.training.optimizers import build_optimizer, build_scheduler
from wganlab.training.step import Run, TrainState

TINY = ["model.width=16", "model.depth=1", "train.batch_size=32"]


def _build(*overrides: str) -> tuple[Run, TrainState]:
    return build(configuration.load(None, "grid", [*TINY, *overrides]))


def test_adam_with_betas_and_learning_rates() -> None:
    _, state = _build('optim.name="adam"', "optim.betas=[0.0, 0.9]", "optim.lr_generator=2e-4", "optim.lr_critic=3e-4")
    for optimizer, lr, module in [
        (state.generator_optimizer, 2e-4, state.generator),
        (state.critic_optimizer, 3e-4, state.critic),
    ]:
        assert type(optimizer) is torch.optim.Adam
        (group,) = optimizer.param_groups
        assert group["betas"] == (0.0, 0.9)
        assert group["lr"] == pytest.approx(lr, rel=1e-12)
        assert {id(p) for p in group["params"]} == {id(p) for p in module.parameters()}


def test_rmsprop() -> None:
    _, state = _build('optim.name="rmsprop"', "optim.lr_generator=5e-5", "optim.lr_critic=5e-5")
    assert type(state.generator_optimizer) is torch.optim.RMSprop
    assert type(state.critic_optimizer) is torch.optim.RMSprop
    assert state.critic_optimizer.param_groups[0]["lr"] == pytest.approx(5e-5, rel=1e-12)


def _lrs(state: TrainState, steps: int) -> list[tuple[float, float]]:
    lrs = []
    for _ in range(steps + 1):
        lrs.append((state.generator_optimizer.param_groups[0]["lr"], state.critic_optimizer.param_groups[0]["lr"]))
        state.generator_optimizer.step()  # no gradients: a no-op that keeps the scheduler's order check quiet
        state.critic_optimizer.step()
        state.generator_scheduler.step()
        state.critic_scheduler.step()
    return lrs


@pytest.mark.parametrize("decay_steps", [0, 10])  # 0: over train.steps
def test_linear_lr_decay_reaches_zero_at_its_horizon(decay_steps: int) -> None:
    steps = 10
    _, state = _build(
        'optim.lr_decay="linear"', f"train.steps={steps}", f"optim.decay_steps={decay_steps}",
        "optim.lr_generator=1e-3", "optim.lr_critic=2e-3"
    )
    lrs = _lrs(state, steps + 2)
    expected = [(1e-3 * max(0.0, 1 - k / steps), 2e-3 * max(0.0, 1 - k / steps)) for k in range(steps + 3)]
    assert_close(torch.tensor(lrs, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64))
    assert lrs[steps] == (0.0, 0.0)


def test_cosine_lr_decay_falls_to_lr_final_on_a_half_cosine_and_stays() -> None:
    """R3GAN's schedule: from the starting rates to lr_final times them at decay_steps, then constant."""
    steps = 8
    _, state = _build('optim.lr_decay="cosine"', "optim.lr_final=0.25", f"optim.decay_steps={steps}",
                      "train.steps=12", "optim.lr_generator=2e-4", "optim.lr_critic=4e-4")
    lrs = _lrs(state, steps + 2)
    factors = [0.25 + 0.75 * 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps)) for k in range(steps + 3)]
    expected = [(2e-4 * f, 4e-4 * f) for f in factors]
    assert_close(torch.tensor(lrs, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64))
    assert lrs[0] == (2e-4, 4e-4) and lrs[steps + 2] == pytest.approx((5e-5, 1e-4))


def test_no_lr_decay_is_constant() -> None:
    _, state = _build('optim.lr_decay="none"', "train.steps=5", "optim.lr_generator=1e-3", "optim.lr_critic=2e-3")
    assert set(_lrs(state, 7)) == {(1e-3, 2e-3)}


def _parameters() -> list[nn.Parameter]:
    return [nn.Parameter(torch.tensor([[1.0, -2.0], [0.5, 3.0]])), nn.Parameter(torch.tensor([0.25, -0.75]))]


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [("name", "sgd", "unknown optim.name 'sgd'"), ("lr_decay", "cosin", "unknown optim.lr_decay 'cosin'")],
)
def test_unknown_names_are_a_one_line_config_error(key: str, value: str, needle: str) -> None:
    config = OptimConfig(**{key: value})
    with pytest.raises(ConfigError) as error:
        optimizer = build_optimizer(_parameters(), 1e-3, config)
        build_scheduler(optimizer, config, steps=10)
    message = str(error.value)
    assert needle in message and "choose from" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(("name", "reference"), [("adam", torch.optim.Adam), ("rmsprop", torch.optim.RMSprop)])
def test_fused_false_is_pytorchs_reference_implementation(name: str, reference: type) -> None:
    config = OptimConfig(name=name, betas=(0.5, 0.9))
    parameters, initial = _parameters(), _parameters()
    optimizer = build_optimizer(parameters, 1e-2, config, fused=False)
    assert not optimizer.defaults.get("fused") and not optimizer.defaults["foreach"]
    # on CPU tensors, unset fused/foreach run the single-tensor loop: bitwise the same as asking for it
    expected = [p.detach().clone().requires_grad_() for p in _parameters()]
    options = {"betas": (0.5, 0.9)} if name == "adam" else {}
    loop = reference(expected, lr=1e-2, foreach=False, **options)
    for step in range(3):
        for group in (parameters, expected):
            for k, parameter in enumerate(group):
                parameter.grad = torch.full_like(parameter, 0.5 * (step + 1) - k)
        optimizer.step()
        loop.step()
    for got, want, before in zip(parameters, expected, initial, strict=True):
        assert torch.equal(got, want)
        assert not torch.equal(got, before)  # the steps moved it


def test_fused_true_asks_for_the_fused_or_foreach_kernels() -> None:
    adam = build_optimizer(_parameters(), 1e-3, OptimConfig(name="adam"), fused=True)
    assert adam.defaults["fused"] is True
    rmsprop = build_optimizer(_parameters(), 1e-3, OptimConfig(name="rmsprop"), fused=True)
    assert rmsprop.defaults["foreach"] is True


def test_the_decay_horizon_is_the_recipes_not_the_runs_length() -> None:
    # a short try of a recipe that decays over 100 steps ends at 1 - 4/100 of its rates, not at 0
    _, state = _build('optim.lr_decay="linear"', "train.steps=4", "optim.decay_steps=100", "optim.lr_generator=1e-3")
    lrs = _lrs(state, 4)
    assert lrs[4][0] == pytest.approx(1e-3 * (1 - 4 / 100), rel=1e-12)
