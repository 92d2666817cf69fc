"""Optimisers and learning-rate schedules, chosen by `optim.name` and `optim.lr_decay`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import OptimConfig
from wganlab.parts import Parts
from wganlab.schedules import DECAYS, Decay

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


# The learning rates' decay shapes (optim.lr_decay): schedules.py's, shared with the penalty weight's.
LR_DECAYS: Parts[Decay] = Parts("optim.lr_decay", DECAYS.values())


def build_optimizer(
    parameters: Parameters, lr: float, config: OptimConfig, fused: bool = True
) -> torch.optim.Optimizer:
    return OPTIMIZERS.resolve(config.name).make(parameters, lr, config, fused)


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Stepped once per generator step (the critic's too, so both decay on the same clock): the rates fall from
    their starting values to `optim.lr_final` times them over `steps` on the `optim.lr_decay` shape."""
    factor, final = LR_DECAYS.resolve(config.lr_decay).factor, config.lr_final
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: factor(step, steps, final))
