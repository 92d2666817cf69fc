"""Several built runs as one batched run, and back: the state a sweep's step trains, and each member's own state.

`stack` takes K runs that differ at most in the values a sweep can batch (`IN_BATCH`) and returns one Run and one
TrainState whose networks are `Stacked` (parameters [K, ...]), whose optimisers and schedules are the members'
recipe over the stacked parameters (Adam and RMSProp act elementwise, so member k's moments are row k of the
stacked ones), and whose random streams are the members' own generators (`Streams`). Under
its member axis (`Run.members` = K) the ordinary `step.train_step` then trains all K at once.

`unstack` copies member k's rows back into its own run's networks, optimisers and schedules, so evaluation,
diagnostics, checkpoints and summaries are the ordinary ones, and a member's checkpoint resumes with
`wganlab train --resume` like any run's.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wganlab.config import Config
from wganlab.data.datasets import Dataset
from wganlab.errors import UserError
from wganlab.models.stacked import Stacked, StackError
from wganlab.objectives.constraints import Constraint
from wganlab.schedules import decay_horizon
from wganlab.stacking import Streams
from wganlab.training import guard
from wganlab.training.optimizers import build_optimizer, build_scheduler
from wganlab.training.step import PLAIN, Run, TrainState, make_ema

# The config values in which the members of one stacked run may differ: each member's own seed (weights and random
# streams), and the objective's scalars that act elementwise on each member's own tensors.
IN_BATCH = ("train.seed", "objective.clip_value", "objective.penalty_weight")
# What the batched step supports (the rest needs per-network state that vmap cannot batch, or mixes members)
CONSTRAINTS = ("none", "clip")


def batch_key(config: Config) -> str:
    """Members with the same key can be stacked: their configs differ only in IN_BATCH values."""
    values = dataclasses.asdict(config)
    for dotted in IN_BATCH:
        section, _, key = dotted.partition(".")
        values[section].pop(key)
    return repr(values)


def check_stackable(config: Config) -> None:
    """Refuse, in one line, what a stacked run cannot train exactly as the separate run would."""
    train, objective = config.train, config.objective
    problems = [
        (objective.constraint not in CONSTRAINTS,
         f"objective.constraint = {objective.constraint!r} (a sweep batches {' and '.join(CONSTRAINTS)})"),
        (train.precision != "fp32", f"train.precision = {train.precision!r} (a sweep trains in fp32)"),
        (train.compile, "train.compile = true (a sweep's forward passes run through torch.func.vmap)"),
        (train.on_nonfinite != "stop",
         'train.on_nonfinite = "rollback" (a sweep stops a non-finite member alone; it cannot roll one back)'),
    ]
    for bad, what in problems:
        if bad:
            raise UserError(f"wganlab sweep cannot batch {what}; change it, or train that run alone with wganlab train")


@dataclass(frozen=True)
class MemberData:
    """The members' data sets as one: `sample(n, streams)` is [K, n, ...], row k drawn by member k's data stream.
    Not kept on a GPU (datasets.placed leaves it): K members' images would be K copies, so a sweep's image batches
    come from host memory (pinned, one wait per batch for its rows); toy constants go to the device once."""

    datasets: tuple[Dataset, ...]

    def sample(self, n: int, rng: Streams) -> Tensor:
        return torch.stack([data.sample(n, generator) for data, generator in zip(self.datasets, rng, strict=True)])


@torch.no_grad()
def clip_members_(critic: nn.Module, clip_values: Tensor) -> None:
    """Weight clipping with each member's own c: row k of every stacked parameter clamped to [-c_k, c_k]."""
    for parameter in critic.parameters():
        bound = clip_values.reshape((-1,) + (1,) * (parameter.dim() - 1))
        torch.clamp(parameter, -bound, bound, out=parameter)


def stack(members: Sequence[tuple[Run, TrainState]]) -> tuple[Run, TrainState]:
    """One run and state that train all `members` at once (they must share a `batch_key` and be at one step)."""
    runs, states = [run for run, _ in members], [state for _, state in members]
    first, config = runs[0], runs[0].config
    if len({batch_key(run.config) for run in runs}) != 1 or len({state.step for state in states}) != 1:
        raise ValueError("stack needs runs that differ only in IN_BATCH values, at the same step")
    if any(state.generator_optimizer.state or state.critic_optimizer.state for state in states):
        raise ValueError("stack starts members before their first step (resume a member with wganlab train)")
    try:
        generator = Stacked([state.generator for state in states])
        critic = Stacked([state.critic for state in states])
    except StackError as error:
        raise UserError(f"wganlab sweep cannot batch these networks: {error}; train them with wganlab train") from None
    device = states[0].rng.device
    as_tensor = functools.partial(torch.tensor, dtype=next(critic.parameters()).dtype, device=device)
    objective = first.objective
    if config.objective.constraint == "clip":
        clip_values = as_tensor([run.config.objective.clip_value for run in runs])
        clip = functools.partial(clip_members_, clip_values=clip_values)
        objective = dataclasses.replace(objective, constraint=Constraint(after_step=clip))
    else:
        objective = dataclasses.replace(objective, constraint=Constraint())
    objective = dataclasses.replace(
        objective, penalty_weight=as_tensor([run.config.objective.penalty_weight for run in runs])
    )
    emas = [state.generator_ema for state in states]
    ema = make_ema(Stacked(emas)) if all(e is not None for e in emas) else None  # type: ignore[arg-type]
    generator_optimizer = build_optimizer(generator.parameters(), config.optim.lr_generator, config.optim)
    critic_optimizer = build_optimizer(critic.parameters(), config.optim.lr_critic, config.optim)
    horizon = decay_horizon(config)
    state = TrainState(
        generator=generator,
        critic=critic,
        generator_ema=ema,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=build_scheduler(generator_optimizer, config.optim, horizon),
        critic_scheduler=build_scheduler(critic_optimizer, config.optim, horizon),
        rng=Streams([state.rng for state in states]),  # type: ignore[arg-type]  # sharding's draws take either
        data_rng=Streams([state.data_rng for state in states]),  # type: ignore[arg-type]
        step=states[0].step,
        train_seconds=0.0,
    )
    run = dataclasses.replace(first, dataset=MemberData(tuple(run.dataset for run in runs)), objective=objective,
                              execution=PLAIN, prober=None, members=len(runs))
    return run, state


def unstack(stacked: TrainState, k: int, state: TrainState) -> None:
    """Copy member k's rows of `stacked` into its own `state`: weights and their last gradients, EMA, optimiser
    moments, schedules, clock (so the guard's `locate` reads a member as it reads a run)."""
    networks = [(stacked.generator, state.generator), (stacked.critic, state.critic)]
    if state.generator_ema is not None:
        networks.append((stacked.generator_ema, state.generator_ema))
    with torch.no_grad():
        for many, one in networks:
            for own, rows in zip(one.parameters(), many.parameters(), strict=True):
                own.copy_(rows[k])
                own.grad = None if rows.grad is None else rows.grad[k].clone()
    for many, one in ((stacked.generator_optimizer, state.generator_optimizer),
                      (stacked.critic_optimizer, state.critic_optimizer)):
        _unstack_optimizer(many, one, k)
    sync_clock(stacked, state)


def sync_clock(stacked: TrainState, state: TrainState) -> None:
    """A member's step, training seconds and learning-rate schedules as the stacked run's (what its logs read)."""
    for many, one in ((stacked.generator_scheduler, state.generator_scheduler),
                      (stacked.critic_scheduler, state.critic_scheduler)):
        one.load_state_dict(many.state_dict())
    state.step, state.train_seconds = stacked.step, stacked.train_seconds


def _unstack_optimizer(many: torch.optim.Optimizer, one: torch.optim.Optimizer, k: int) -> None:
    """Member k's optimiser state: row k of every per-element moment; the shared scalars (Adam's step) copied."""
    for many_group, one_group in zip(many.param_groups, one.param_groups, strict=True):
        for key in ("lr", "initial_lr"):
            if key in many_group:
                one_group[key] = many_group[key]
        for rows, own in zip(many_group["params"], one_group["params"], strict=True):
            moments = many.state.get(rows)
            if not moments:
                continue
            one.state[own] = {
                key: (value[k].clone() if value.shape == rows.shape else value.clone())
                if isinstance(value, Tensor) else value
                for key, value in moments.items()
            }


def watched_as_member(member: TrainState, stacked: TrainState) -> list[tuple[str, Tensor]]:
    """The stacked networks' parameters ([K, ...], which the guard's tally watches) labelled as in a member's own
    networks (`Stacked` keeps each member's parameters in their order), so a stop names the member's parameter."""
    labels = [label for label, _ in guard.watched(member)]
    return list(zip(labels, (tensor for _, tensor in guard.watched(stacked)), strict=True))


def row(stats: dict[str, Tensor], k: int) -> dict[str, Tensor]:
    """Member k's statistics of a stacked step's [K] statistics."""
    return {key: value[k] for key, value in stats.items()}
