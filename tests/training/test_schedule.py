"""The critic-iteration schedule, including the WGAN code's 100-iteration warm-up."""

from __future__ import annotations

import pytest

from wganlab.training.schedule import critic_iters_at


@pytest.mark.parametrize(
    "step, expected",
    [(0, 100), (1, 100), (24, 100), (25, 5), (26, 5), (499, 5), (500, 100), (501, 5), (1000, 100), (1001, 5)],
)
def test_warmup_schedule(step: int, expected: int) -> None:
    assert critic_iters_at(step, 5, warmup=True) == expected


def test_warmup_covers_exactly_the_first_25_steps_and_every_500th() -> None:
    warm = [step for step in range(2001) if critic_iters_at(step, 5, warmup=True) == 100]
    assert warm == list(range(25)) + [500, 1000, 1500, 2000]


@pytest.mark.parametrize("critic_iters", [1, 2, 5])
def test_without_warmup_always_n_critic(critic_iters: int) -> None:
    assert {critic_iters_at(step, critic_iters, warmup=False) for step in range(1501)} == {critic_iters}
