"""One critic update and one generator update. Each returns detached scalars keyed `group/name`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import torch
from torch import Tensor, nn

from wganlab.objectives.objective import Objective
from wganlab.objectives.penalties import full_precision
from wganlab.training.ema import update_ema
from wganlab.training.precision import Autocast
from wganlab.training.state import TrainState

GradientSync = Callable[[nn.Module], None]  # averages a network's gradients over a distributed run's ranks


def _alone(network: nn.Module) -> None:
    """One process: the gradients are already the batch's."""


def critic_step(
    state: TrainState,
    objective: Objective,
    real: Tensor,
    latents: Tensor,
    autocast: Autocast = nullcontext,
    sync: GradientSync = _alone,
) -> dict[str, Tensor]:
    """Minimise the critic's loss on a real batch and detached fakes, inside the Lipschitz constraint."""
    with torch.no_grad(), autocast():
        fake = full_precision(state.generator(latents))  # [N, ...]; no generator graph for the critic's update
    return update_critic(
        state.critic, state.critic_optimizer, objective, real, fake, state.rng, state.step, autocast, sync
    )


def update_critic(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    real: Tensor,
    fake: Tensor,
    rng: torch.Generator,
    step: int,
    autocast: Autocast = nullcontext,
    sync: GradientSync = _alone,
) -> dict[str, Tensor]:
    """One optimiser step of the critic on given real and fake batches, with the constraint's hooks around it;
    the forward passes (penalty included) under `autocast`, the backward and the step outside it; the gradients
    averaged over the ranks (`sync`) before the constraint sees them."""
    with autocast():
        loss, stats = objective.critic_phase(critic, real, fake, rng, step)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    sync(critic)
    objective.constraint.before_step(critic)
    optimizer.step()
    # WGAN clips after the update, so the critic that scores the next batch is inside the box.
    objective.constraint.after_step(critic)
    return stats


def generator_step(
    state: TrainState,
    objective: Objective,
    latents: Tensor,
    ema_decay: float,
    autocast: Autocast = nullcontext,
    sync: GradientSync = _alone,
) -> dict[str, Tensor]:
    """Minimise the generator's loss through a critic whose parameters are frozen for this step."""
    state.critic.requires_grad_(False)  # no gradients for the critic's weights: they would be thrown away
    try:
        with autocast():
            loss, stats = objective.generator_phase(state.critic, state.generator(latents), state.rng, state.step)
        state.generator_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        sync(state.generator)
        state.generator_optimizer.step()
    finally:
        state.critic.requires_grad_(True)
    if state.generator_ema is not None:
        update_ema(state.generator_ema, state.generator, ema_decay)
    return stats
