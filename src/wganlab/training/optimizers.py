"""Optimisers and learning-rate schedules, chosen by `optim.name` and `optim.lr_decay`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import OptimConfig
from wganlab.parts import Parts

Parameters = Iterable[nn.Parameter]


@dataclass(frozen=True)
class Optimizer:
    """`make(parameters, lr, config, fused)`: fused runs one kernel over all parameters instead of a Python loop
    of small ops per tensor (training uses it); False gives PyTorch's reference single-tensor loop on any device."""

    name: str
    description: str
    make: Callable[[Parameters, float, OptimConfig, bool], torch.optim.Optimizer]


def _adam(parameters: Parameters, lr: float, config: OptimConfig, fused: bool) -> torch.optim.Optimizer:
    options = {"fused": True} if fused else {"foreach": False}
    return torch.optim.Adam(parameters, lr=lr, betas=config.betas, **options)


def _rmsprop(parameters: Parameters, lr: float, config: OptimConfig, fused: bool) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(parameters, lr=lr, foreach=fused)


OPTIMIZERS: Parts[Optimizer] = Parts("optim.name", [
    Optimizer("adam", "Adam with optim.betas", _adam),
    Optimizer("rmsprop", "RMSProp (the WGAN paper's choice)", _rmsprop),
])


@dataclass(frozen=True)
class LearningRateDecay:
    name: str
    description: str
    factor: Callable[[int, int], float]  # (generator step, decay horizon) -> multiplier of the initial rate


LR_DECAYS: Parts[LearningRateDecay] = Parts("optim.lr_decay", [
    LearningRateDecay("none", "constant learning rates", lambda step, steps: 1.0),
    LearningRateDecay(
        "linear",
        "learning rates fall linearly to 0 over optim.decay_steps (train.steps if 0) (WGAN-GP CIFAR code)",
        lambda step, steps: max(0.0, 1.0 - step / steps),
    ),
])


def build_optimizer(
    parameters: Parameters, lr: float, config: OptimConfig, fused: bool = True
) -> torch.optim.Optimizer:
    return OPTIMIZERS.resolve(config.name).make(parameters, lr, config, fused)


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Stepped once per generator step (the critic's too, so both decay on the same clock)."""
    factor = LR_DECAYS.resolve(config.lr_decay).factor
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: factor(step, steps))
