"""Lipschitz methods that act on the critic module, and instance noise.

A `Constraint` hooks the critic update at three points: `prepare` once at build time,
`before_step` after backward() and before optimiser.step(), `after_step` after the step.
Only weight clipping and spectral norm are Lipschitz methods from the WGAN literature;
"maxnorm" (a per-unit norm bound) and "grad-clip" (clipping the optimiser's gradient) are
here so that claims about them can be measured, not because they constrain the critic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from wganlab import sharding, stacking
from wganlab.config import ObjectiveConfig
from wganlab.models.layers import CONVOLUTIONS, WEIGHTED_LAYERS
from wganlab.parts import Parts

_KERAS_EPSILON = 1e-7
_UNIT_NORM_LAYERS = (nn.Linear, *CONVOLUTIONS)


def _identity(critic: nn.Module) -> nn.Module:
    return critic


def _no_op(critic: nn.Module) -> None:
    return None


@dataclass(frozen=True)
class Constraint:
    """Hooks applied to the critic at build time, before and after each optimiser step."""

    prepare: Callable[[nn.Module], nn.Module] = _identity
    before_step: Callable[[nn.Module], None] = _no_op
    after_step: Callable[[nn.Module], None] = _no_op
    clip_value: float | None = None  # weight clipping's c: diagnostics report the share of weights at +/-c


@torch.no_grad()
def clip_weights_(critic: nn.Module, clip_value: float) -> None:
    """Clamp every critic parameter to [-c, c] in place (WGAN, Arjovsky et al. 2017, Alg. 1)."""
    for parameter in critic.parameters():
        parameter.clamp_(-clip_value, clip_value)


@torch.no_grad()
def max_norm_(critic: nn.Module, max_norm: float) -> None:
    """Keras MaxNorm: rescale each unit's incoming weights to L2 norm <= m, in place.

    w <- w * clip(n, 0, m) / (1e-7 + n), n = norm of one row of a Linear weight [out, in]
    (one output filter of a Conv weight [out, in, *k]). Applied only to units with n > m, so
    units inside the ball are left exactly unchanged. Biases and other parameters are untouched.
    This bounds each unit's norm; it is not weight clipping and does not bound the Lipschitz
    constant by m.
    """
    for module in critic.modules():
        if not isinstance(module, _UNIT_NORM_LAYERS):
            continue
        weight = module.weight  # [out, in] or [out, in / groups, *k]
        norms = weight.reshape(weight.shape[0], -1).norm(dim=1)  # [out]
        scale = norms.clamp(0.0, max_norm) / (_KERAS_EPSILON + norms)  # [out]
        scale = torch.where(norms > max_norm, scale, torch.ones_like(scale))
        weight.mul_(scale.reshape((-1,) + (1,) * (weight.dim() - 1)))


def clip_gradient_norm_(critic: nn.Module, max_norm: float) -> None:
    """Rescale the critic's parameter gradients to total L2 norm <= max_norm (torch clip_grad_norm_).

    This limits the optimiser's step, not the critic's slope in x: it is not a Lipschitz constraint.
    """
    torch.nn.utils.clip_grad_norm_(critic.parameters(), max_norm)


def apply_spectral_norm(critic: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Wrap every Linear and Conv layer in spectral normalisation, W / sigma(W) (Miyato et al. 2018), and a
    projection critic's class embedding too, as Miyato & Koyama 2018 do (models/conditional.py).

    Modifies `critic` in place and returns it.
    """
    layers = [module for module in critic.modules() if isinstance(module, (*WEIGHTED_LAYERS, nn.Embedding))]
    for layer in layers:  # collected first: wrapping adds submodules while modules() iterates
        spectral_norm(layer, n_power_iterations=n_power_iterations)
    return critic


def instance_noise_std(step: int, initial_std: float, anneal_steps: int) -> float:
    """Linear annealing initial_std * max(0, 1 - step / anneal_steps); constant when anneal_steps == 0."""
    if anneal_steps == 0:
        return initial_std
    return initial_std * max(0.0, 1.0 - step / anneal_steps)


def add_instance_noise(points: Tensor, std: float, rng: sharding.Generator) -> Tensor:
    """points + std * N(0, I) (instance noise, Sonderby et al. 2017); `points` itself when std == 0."""
    if std == 0:
        return points
    noise = sharding.randn(stacking.member_shape(points), rng, points.device, points.dtype)  # a rank's rows
    return points + std * noise  # [N, ...]


@dataclass(frozen=True)
class ConstraintEntry:
    """A constraint as `objective.constraint` chooses it: `make` binds its options from the objective section."""

    name: str
    description: str
    make: Callable[[ObjectiveConfig], Constraint]


def _clip(config: ObjectiveConfig) -> Constraint:
    clip = functools.partial(clip_weights_, clip_value=config.clip_value)
    return Constraint(after_step=clip, clip_value=config.clip_value)


CONSTRAINTS: Parts[ConstraintEntry] = Parts("objective.constraint", [
    ConstraintEntry(
        "none",
        "no constraint on the critic (use with a penalty, or for an unconstrained baseline)",
        lambda config: Constraint(),
    ),
    ConstraintEntry(
        "clip", "WGAN weight clipping: clamp every critic parameter to [-c, c] after each critic step", _clip
    ),
    ConstraintEntry(
        "spectral-norm",
        "spectral normalisation of every Linear/Conv layer, W / sigma(W) (Miyato et al. 2018)",
        lambda config: Constraint(prepare=apply_spectral_norm),
    ),
    ConstraintEntry(
        "maxnorm",
        "Keras MaxNorm: cap each unit's incoming weight norm after each step (not weight clipping)",
        lambda config: Constraint(after_step=functools.partial(max_norm_, max_norm=config.max_norm)),
    ),
    ConstraintEntry(
        "grad-clip",
        "clip the critic's parameter-gradient norm before each step (not a Lipschitz constraint)",
        lambda config: Constraint(before_step=functools.partial(clip_gradient_norm_, max_norm=config.grad_clip_norm)),
    ),
])
