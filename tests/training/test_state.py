"""TrainState: the sampler to evaluate is the EMA copy when there is one, else the generator."""

from __future__ import annotations

import torch
from torch import nn

from wganlab.training.ema import make_ema
from wganlab.training.state import TrainState


def _state(with_ema: bool) -> TrainState:
    generator, critic = nn.Linear(2, 2), nn.Linear(2, 1)
    generator_optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    critic_optimizer = torch.optim.SGD(critic.parameters(), lr=0.1)
    return TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if with_ema else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=torch.optim.lr_scheduler.LambdaLR(generator_optimizer, lambda step: 1.0),
        critic_scheduler=torch.optim.lr_scheduler.LambdaLR(critic_optimizer, lambda step: 1.0),
        rng=torch.Generator().manual_seed(1),
        data_rng=torch.Generator().manual_seed(2),
    )


def test_sampler_is_the_ema_when_there_is_one() -> None:
    state = _state(with_ema=True)
    assert state.sampler is state.generator_ema
    assert state.sampler is not state.generator


def test_sampler_is_the_generator_without_ema() -> None:
    state = _state(with_ema=False)
    assert state.sampler is state.generator


def test_a_new_state_starts_at_step_zero_with_no_time() -> None:
    state = _state(with_ema=False)
    assert state.step == 0 and state.train_seconds == 0.0
