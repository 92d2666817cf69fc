"""One critic update and one generator update. Each returns detached scalars keyed `group/name`."""

from __future__ import annotations

import torch
from torch import Tensor

from wganlab.objectives.objective import Objective
from wganlab.training.ema import update_ema
from wganlab.training.state import TrainState


def critic_step(state: TrainState, objective: Objective, real: Tensor, latents: Tensor) -> dict[str, Tensor]:
    """Minimise the critic's loss on a real batch and detached fakes, inside the Lipschitz constraint."""
    with torch.no_grad():
        fake = state.generator(latents)  # [N, ...]; no generator graph is built for the critic's update
    loss, stats = objective.critic_phase(state.critic, real, fake, state.rng, state.step)
    state.critic_optimizer.zero_grad(set_to_none=True)
    loss.backward()
    objective.constraint.before_step(state.critic)
    state.critic_optimizer.step()
    # WGAN clips after the update, so the critic that scores the next batch is inside the box.
    objective.constraint.after_step(state.critic)
    return stats


def generator_step(state: TrainState, objective: Objective, latents: Tensor, ema_decay: float) -> dict[str, Tensor]:
    """Minimise the generator's loss through a critic whose parameters are frozen for this step."""
    state.critic.requires_grad_(False)  # no gradients for the critic's weights: they would be thrown away
    try:
        loss, stats = objective.generator_phase(state.critic, state.generator(latents), state.rng, state.step)
        state.generator_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        state.generator_optimizer.step()
    finally:
        state.critic.requires_grad_(True)
    if state.generator_ema is not None:
        update_ema(state.generator_ema, state.generator, ema_decay)
    return stats
