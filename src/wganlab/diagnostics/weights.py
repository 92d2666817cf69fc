"""Where the critic's weights sit: saturation at the clip bound and their histogram (WGAN-GP Fig. 1b right).

Under weight clipping most weights pile up at +/-c; under a gradient penalty they spread out
(Gulrajani et al. 2017, Sec. 3).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


def _all_parameters(critic: nn.Module) -> Tensor:
    """[P] every parameter of the critic, flattened and concatenated, detached, float64 on the CPU."""
    parameters = [parameter.detach().reshape(-1).double().cpu() for parameter in critic.parameters()]
    if not parameters:
        raise ValueError("the critic has no parameters")
    return torch.cat(parameters)  # [P]


def at_clip_bound(weights: Tensor, clip_value: float, tolerance: float = 1e-6) -> Tensor:
    """[P] bool: | |w| - c | <= tolerance * max(1, c), the weights sitting at the clip bound +/-c."""
    if clip_value <= 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    return (weights.abs() - clip_value).abs() <= tolerance * max(1.0, clip_value)


def clip_saturation(critic: nn.Module, clip_value: float, tolerance: float = 1e-6) -> float:
    """Fraction of the critic's parameters at the clip bound (`at_clip_bound`)."""
    return at_clip_bound(_all_parameters(critic), clip_value, tolerance).double().mean().item()


def weight_histogram(critic: nn.Module, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(counts [bins], edges [bins + 1]) of all the critic's parameters, as numpy.histogram gives them."""
    counts, edges = np.histogram(_all_parameters(critic).numpy(), bins=bins)
    return counts, edges
