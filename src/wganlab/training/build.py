"""Turn a validated config into the objects a run needs; every name is resolved here, once."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import Config, ModelConfig, OptimConfig
from wganlab.data.toy import ToyDistribution, make_toy
from wganlab.models.mlp import MLP
from wganlab.objectives.objective import Objective, build_objective
from wganlab.training.ema import make_ema
from wganlab.training.state import TrainState

DATA_DIM = 2  # every toy distribution lives in the plane


@dataclass(frozen=True)
class Run:
    """What the loop needs besides the state: the data, the objective and the config."""

    config: Config
    dataset: ToyDistribution
    objective: Objective


def build_networks(config: ModelConfig) -> tuple[nn.Module, nn.Module]:
    """Generator latent -> point and critic point -> score, from the model section."""
    generator = MLP(config.latent_dim, DATA_DIM, config.width, config.depth, config.activation)
    critic = MLP(DATA_DIM, 1, config.width, config.depth, config.activation)
    return generator, critic


def build_optimizer(parameters: list[nn.Parameter], lr: float, config: OptimConfig) -> torch.optim.Optimizer:
    if config.name == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=config.betas)
    return torch.optim.RMSprop(parameters, lr=lr)


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Stepped once per generator step (the critic's too, so both decay on the same clock)."""
    if config.lr_decay == "linear":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def build(config: Config) -> tuple[Run, TrainState]:
    """Seeded construction: the same config always gives the same initial weights and RNG streams."""
    seed = config.train.seed
    dataset = make_toy(config.data.name, seed=seed, theta=config.data.theta)
    objective = build_objective(config.objective)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator, critic = build_networks(config.model)
        critic = objective.constraint.prepare(critic)  # spectral norm draws its power-iteration vector here
    device = torch.device(config.train.device)
    generator, critic = generator.to(device), critic.to(device)
    generator_optimizer = build_optimizer(
        list(generator.parameters()), config.optim.lr_generator, config.optim
    )
    critic_optimizer = build_optimizer(list(critic.parameters()), config.optim.lr_critic, config.optim)
    state = TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if config.train.ema_decay > 0 else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=build_scheduler(generator_optimizer, config.optim, config.train.steps),
        critic_scheduler=build_scheduler(critic_optimizer, config.optim, config.train.steps),
        rng=torch.Generator(device).manual_seed(seed + 1),
        data_rng=torch.Generator(device).manual_seed(seed + 2),
    )
    return Run(config=config, dataset=dataset, objective=objective), state
