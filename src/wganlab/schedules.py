"""How a rate or a weight moves over a run's generator steps: the shapes `optim.lr_decay` (both learning rates)
and `objective.penalty_decay` (the penalty's weight) choose from, as a factor of the starting value.

Each shape goes from 1 at step 0 to `final` (a fraction of the starting value) at the horizon and stays there:
R3GAN (Huang et al. 2024) decays its learning rates from 2e-4 to 5e-5 (final 0.25) and its gamma from 0.05 to
0.005 (final 0.1) on a half cosine; the WGAN-GP CIFAR-10 code decays its rates linearly to 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from wganlab.config import Config
from wganlab.parts import Parts


@dataclass(frozen=True)
class Decay:
    name: str
    description: str
    factor: Callable[[int, int, float], float]  # (generator step, horizon, final) -> factor of the starting value


def constant(step: int, horizon: int, final: float) -> float:
    """1 at every step: the starting value throughout."""
    return 1.0


def unchanged(step: int) -> float:
    """1 at every step, for a value that has no decay at all."""
    return 1.0


def linear(step: int, horizon: int, final: float) -> float:
    """From 1 at step 0 to `final` at `horizon`, on a straight line; `final` after it."""
    return final + (1.0 - final) * max(0.0, 1.0 - step / horizon)


def cosine(step: int, horizon: int, final: float) -> float:
    """From 1 at step 0 to `final` at `horizon` on a half cosine, (1 + cos(pi t)) / 2 with t = step / horizon
    (R3GAN's schedule, without its warm-up); `final` after it."""
    progress = min(1.0, step / horizon)
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * progress))


DECAYS: Parts[Decay] = Parts("decay", [
    Decay("none", "constant", constant),
    Decay("linear", "falls linearly to the final fraction over the horizon (WGAN-GP CIFAR code: to 0)", linear),
    Decay("cosine", "falls on a half cosine to the final fraction over the horizon (R3GAN)", cosine),
])


def decay_horizon(config: Config) -> int:
    """The generator steps over which a run's learning rates and penalty weight decay: optim.decay_steps, else
    train.steps (the recipe's horizon, not however long one try of it runs)."""
    return config.optim.decay_steps or config.train.steps
