"""Turn a config into the objects a run needs; every name is resolved here, once, after the config is validated."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import Config
from wganlab.data.datasets import Dataset, build_dataset, data_shape
from wganlab.models.architectures import build_networks
from wganlab.objectives.objective import Objective, build_objective
from wganlab.training.compilation import execution_for
from wganlab.training.distributed import SOLO, Team, synchronise_batchnorm
from wganlab.training.ema import make_ema
from wganlab.training.evaluation import Evaluator, build_evaluator
from wganlab.training.memory import check_memory
from wganlab.training.optimizers import build_optimizer, build_scheduler
from wganlab.training.precision import autocast_for, make_scaler, precision_notes
from wganlab.training.probing import Prober, build_prober
from wganlab.training.state import TrainState
from wganlab.training.steps import PLAIN, Execution
from wganlab.training.streams import DATA, LATENTS, training_seed
from wganlab.training.validation import validate


@dataclass(frozen=True)
class Run:
    """What the loop needs besides the state: the data, the objective and the config."""

    config: Config
    dataset: Dataset
    objective: Objective
    evaluator: Evaluator
    prober: Prober | None  # the diagnostic probe per evaluation; None when eval.diagnostics is off
    execution: Execution = PLAIN  # precision, gradient averaging, compiled forwards (train.precision, .compile)
    team: Team = SOLO  # the processes of a distributed run (torchrun); one process alone by default
    notes: tuple[str, ...] = ()  # one line each, for the user: what a choice could not do (train.compile)


def seeded_networks(config: Config, shape: tuple[int, ...], objective: Objective) -> tuple[nn.Module, nn.Module]:
    """(generator, critic) on the training device: the same config always gives the same initial weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.train.seed)
        generator, critic = build_networks(config.model, shape)
        critic = objective.constraint.prepare(critic)  # spectral norm draws its power-iteration vector here
    device = torch.device(config.train.device)
    return generator.to(device), critic.to(device)


def build(config: Config, team: Team = SOLO) -> tuple[Run, TrainState]:
    """Validate, then build seeded: the same config always gives the same initial weights and RNG streams (on
    every rank of a distributed `team`)."""
    validate(config, team.world)
    seed = config.train.seed
    dataset = build_dataset(config.data, seed)
    check_memory(config, data_shape(dataset))  # before the networks and buffers are allocated
    objective = build_objective(config.objective)
    generator, critic = seeded_networks(config, data_shape(dataset), objective)
    if team.world > 1 and config.train.sync_batchnorm:
        generator, critic = synchronise_batchnorm(generator), synchronise_batchnorm(critic)
    device = torch.device(config.train.device)
    horizon = config.optim.decay_steps or config.train.steps  # the recipe's, not however long this run is
    generator_optimizer = build_optimizer(generator.parameters(), config.optim.lr_generator, config.optim)
    critic_optimizer = build_optimizer(critic.parameters(), config.optim.lr_critic, config.optim)
    state = TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if config.train.ema_decay > 0 else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=build_scheduler(generator_optimizer, config.optim, horizon),
        critic_scheduler=build_scheduler(critic_optimizer, config.optim, horizon),
        rng=torch.Generator(device).manual_seed(training_seed(seed, LATENTS)),
        data_rng=torch.Generator(device).manual_seed(training_seed(seed, DATA)),
        critic_scaler=make_scaler(config.train),
        generator_scaler=make_scaler(config.train),
    )
    execution, notes = execution_for(generator, critic, config.objective.penalty, config.train.compile,
                                     autocast_for(config.train), team.average_gradients)
    evaluator = build_evaluator(config, dataset, objective.estimate, team)
    prober = build_prober(config, dataset, objective) if config.eval.diagnostics else None
    run = Run(config=config, dataset=dataset, objective=objective, evaluator=evaluator, prober=prober,
              execution=execution, team=team, notes=(*precision_notes(config.train), *notes))
    return run, state
