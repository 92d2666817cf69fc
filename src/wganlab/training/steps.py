"""One critic update and one generator update. Each returns detached scalars keyed `group/name`.

Each update: the forward passes (penalty included) under `autocast`; the backward pass of the loss as the
network's gradient scaler scales it (a pass-through but under fp16); the gradients averaged over a distributed
run's ranks (`sync`) and unscaled; the constraint's hooks around the optimiser's step, which the scaler skips
when a scaled gradient overflowed (fp16 only; the step's statistics then say `amp/..._skipped` = 1)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wganlab.objectives.objective import Objective
from wganlab.objectives.penalties import full_precision, scaled_input_gradients
from wganlab.training.ema import update_ema
from wganlab.training.precision import Autocast
from wganlab.training.state import TrainState

GradientSync = Callable[[nn.Module], None]  # averages a network's gradients over a distributed run's ranks


def _alone(network: nn.Module) -> None:
    """One process: the gradients are already the batch's."""


Forward = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Execution:
    """How the updates run, besides what they compute: the forward passes' precision, the averaging of gradients
    over a distributed run's ranks, and compiled forwards of the networks (None: call the module itself)."""

    autocast: Autocast = nullcontext
    sync: GradientSync = _alone
    generator: Forward | None = None  # torch.compile'd state.generator (train.compile)
    critic: Forward | None = None  # torch.compile'd state.critic; never under a gradient penalty


PLAIN = Execution()


def _call(compiled: Forward | None, network: nn.Module) -> Forward:
    """The compiled forward if there is one, else the module (`or` would ask a compiled module for its length)."""
    return network if compiled is None else compiled


_PASS_THROUGH = torch.amp.GradScaler(enabled=False)


def _scaled_step(
    loss: Tensor, network: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
    sync: GradientSync, before_step: Callable[[nn.Module], None] | None = None,
) -> dict[str, Tensor]:
    """Backward, average, unscale, the constraint's pre-step hook, the (possibly skipped) step, the scale's update;
    a disabled scaler passes each of these through (its `step` is the optimiser's), and reports nothing."""
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss.sum()).backward()  # a sweep's [K] losses: each member's gradient is its own loss's
    sync(network)
    scaler.unscale_(optimizer)
    if before_step is not None:
        before_step(network)
    scale = scaler.get_scale()
    scaler.step(optimizer)
    scaler.update()
    if not scaler.is_enabled():
        return {}
    skipped = float(scaler.get_scale() < scale)  # the scaler backs off exactly when it skipped the step
    return {"scale": torch.tensor(scale, device=loss.device), "skipped": torch.tensor(skipped, device=loss.device)}


def critic_step(
    state: TrainState, objective: Objective, real: Tensor, latents: Tensor, execution: Execution = PLAIN
) -> dict[str, Tensor]:
    """Minimise the critic's loss on a real batch and detached fakes, inside the Lipschitz constraint."""
    with torch.no_grad(), execution.autocast():
        fake = full_precision(_call(execution.generator, state.generator)(latents))  # [N, ...]; no generator graph
    return update_critic(
        state.critic, state.critic_optimizer, objective, real, fake, state.rng, state.step, execution,
        state.critic_scaler,
    )


def update_critic(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    real: Tensor,
    fake: Tensor,
    rng: torch.Generator,
    step: int,
    execution: Execution = PLAIN,
    scaler: torch.amp.GradScaler = _PASS_THROUGH,
) -> dict[str, Tensor]:
    """One optimiser step of the critic on given real and fake batches, with the constraint's hooks around it;
    the forward passes (penalty included) under autocast, the backward and the step outside it; the gradients
    averaged over the ranks and unscaled (`scaler`) before the constraint sees them."""
    loss_scale = scaler.get_scale() if scaler.is_enabled() else None
    with execution.autocast(), scaled_input_gradients(loss_scale):
        loss, stats = objective.critic_phase(_call(execution.critic, critic), real, fake, rng, step)
    amp = _scaled_step(loss, critic, optimizer, scaler, execution.sync, objective.constraint.before_step)
    # WGAN clips after the update, so the critic that scores the next batch is inside the box.
    objective.constraint.after_step(critic)
    return stats | {f"amp/critic_{key}": value for key, value in amp.items()}


def generator_step(
    state: TrainState, objective: Objective, latents: Tensor, ema_decay: float, execution: Execution = PLAIN
) -> dict[str, Tensor]:
    """Minimise the generator's loss through a critic whose parameters are frozen for this step."""
    state.critic.requires_grad_(False)  # no gradients for the critic's weights: they would be thrown away
    generator, critic = _call(execution.generator, state.generator), _call(execution.critic, state.critic)
    try:
        with execution.autocast():
            loss, stats = objective.generator_phase(critic, generator(latents), state.rng, state.step)
        amp = _scaled_step(
            loss, state.generator, state.generator_optimizer, state.generator_scaler, execution.sync
        )
    finally:
        state.critic.requires_grad_(True)
    if state.generator_ema is not None:
        update_ema(state.generator_ema, state.generator, ema_decay)
    return stats | {f"amp/generator_{key}": value for key, value in amp.items()}
