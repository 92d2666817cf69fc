"""Per-layer gradient norms through the critic (WGAN-GP Fig. 1b, Gulrajani et al. 2017).

Weight clipping makes these norms explode (large c) or vanish (small c) geometrically with depth;
a gradient penalty keeps them level. `log_slope` summarises the trend in one number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from wganlab.models.layers import WEIGHTED_LAYERS
from wganlab.objectives.losses import CriticLoss

Grads = tuple[Tensor | None, ...]
_ZERO = torch.zeros((), dtype=torch.float64)  # the norm of an unused layer's gradient
Backward = Callable[[Tensor, list[Tensor]], Grads]  # (critic output, activations) -> their gradients


def _activation_gradients(critic: nn.Module, points: Tensor, backward: Backward) -> tuple[list[str], Grads]:
    """The weighted layers' names and the gradients `backward` takes of their outputs, in forward order, from one
    pass of `points` through the critic (the input requires grad, so every activation is in the graph even with
    frozen parameters)."""
    names: list[str] = []
    activations: list[Tensor] = []

    def keep(name: str) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], None]:
        def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
            names.append(name)
            activations.append(output)

        return hook

    handles = [
        module.register_forward_hook(keep(name))
        for name, module in critic.named_modules()
        if isinstance(module, WEIGHTED_LAYERS)
    ]
    try:
        with torch.enable_grad():
            output = critic(points.detach().requires_grad_(True))
            return names, backward(output, activations) if activations else ()
    finally:
        for handle in handles:
            handle.remove()


def _scalar(loss: Tensor) -> Tensor:
    if loss.dim() != 0:
        raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
    return loss


def layer_gradient_norms(
    critic: nn.Module, loss_fn: Callable[[Tensor], Tensor], points: Tensor, chunk: int | None = None
) -> list[tuple[str, float]]:
    """[(layer name, ||d loss / d a_l||_2)] in forward order, a_l the layer's output over the whole batch.

    Uses torch.autograd.grad on the activations, so the critic's parameter .grad is left untouched.
    A layer called twice is listed twice. With `chunk`, the points go through the critic `chunk` at a time
    (memory of one chunk's activations): the loss's gradient by each score first, from all scores, then each
    chunk's activation gradients by that weight; exact for a critic whose score of a point does not depend on
    the others (eval mode).
    """
    if chunk is None or chunk >= len(points):

        def whole(output: Tensor, activations: list[Tensor]) -> Grads:
            return torch.autograd.grad(_scalar(loss_fn(output)), activations, allow_unused=True)

        names, grads = _activation_gradients(critic, points, whole)
        return [(name, 0.0 if g is None else g.double().norm().item()) for name, g in zip(names, grads, strict=True)]
    with torch.no_grad():
        scores = torch.cat([critic(part) for part in points.split(chunk)]).requires_grad_(True)
    with torch.enable_grad():
        (weights,) = torch.autograd.grad(_scalar(loss_fn(scores)), scores)  # d loss / d score, each point
    names, totals = [], []
    for part, weight in zip(points.split(chunk), weights.split(chunk), strict=True):

        def by_weight(output: Tensor, activations: list[Tensor], weight: Tensor = weight) -> Grads:
            return torch.autograd.grad(output, activations, grad_outputs=weight, allow_unused=True)

        names, grads = _activation_gradients(critic, part, by_weight)
        squares = [_ZERO if g is None else g.double().square().sum() for g in grads]  # on the device: no sync
        totals = squares if not totals else [total + square for total, square in zip(totals, squares, strict=True)]
    return [(name, total.sqrt().item()) for name, total in zip(names, totals, strict=True)]


def critic_loss_layer_norms(
    critic: nn.Module, loss: CriticLoss, real: Tensor, fake: Tensor, chunk: int | None = None
) -> list[float]:
    """Per-layer norms (forward order) of d loss(D(real), D(fake)) / d a_l, real and fake scored in one batch
    (`chunk` points at a time through the critic when given)."""
    batch = real.shape[0]

    def batch_loss(scores: Tensor) -> Tensor:  # scores [2N] or [2N, 1]
        scores = scores.reshape(-1)
        return loss(scores[:batch], scores[batch:])

    return [norm for _, norm in layer_gradient_norms(critic, batch_loss, torch.cat([real, fake]), chunk)]


def log_slope(norms: Sequence[float]) -> float:
    """Least-squares slope of log10(norm_l) against l = 0..L-1 (< 0: the norm shrinks with l)."""
    values = np.asarray(norms, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"log_slope needs at least two norms, got {values.size}")
    if not np.all(values > 0) or not np.all(np.isfinite(values)):
        raise ValueError("log_slope needs positive, finite norms")
    index = np.arange(values.size, dtype=np.float64)
    logs = np.log10(values)
    centred = index - index.mean()
    return float((centred * (logs - logs.mean())).sum() / (centred**2).sum())
