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


def layer_gradient_norms(
    critic: nn.Module, loss_fn: Callable[[Tensor], Tensor], points: Tensor
) -> list[tuple[str, float]]:
    """[(layer name, ||d loss / d a_l||_2)] in forward order, a_l the layer's output over the whole batch.

    Uses torch.autograd.grad on the activations, so the critic's parameter .grad is left untouched.
    A layer called twice is listed twice.
    """
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
            # the input requires grad so every activation is in the graph, even with frozen parameters
            loss = loss_fn(critic(points.detach().requires_grad_(True)))  # scalar
            if loss.dim() != 0:
                raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
            if not activations:
                return []
            grads = torch.autograd.grad(loss, activations, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    return [
        (name, 0.0 if grad is None else grad.double().norm().item()) for name, grad in zip(names, grads, strict=True)
    ]


def critic_loss_layer_norms(
    critic: nn.Module, loss: CriticLoss, real: Tensor, fake: Tensor
) -> list[float]:
    """Per-layer norms (forward order) of d loss(D(real), D(fake)) / d a_l, real and fake scored in one batch."""
    batch = real.shape[0]

    def batch_loss(scores: Tensor) -> Tensor:  # scores [2N] or [2N, 1]
        scores = scores.reshape(-1)
        return loss(scores[:batch], scores[batch:])

    return [norm for _, norm in layer_gradient_norms(critic, batch_loss, torch.cat([real, fake]))]


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
