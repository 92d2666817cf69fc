"""Lipschitz estimates of a critic: empirical lower bounds and a layer-wise spectral upper bound.

The optimal WGAN critic has unit input-gradient norm almost everywhere between real and fake
(Gulrajani et al. 2017, Corollary 1). The largest observed norm is a lower bound on the critic's
Lipschitz constant; the product of the layers' spectral norms is an upper bound when every
activation is 1-Lipschitz (ReLU, LeakyReLU) (Miyato et al. 2018).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wganlab.models.layers import TRANSPOSED_CONVOLUTIONS, WEIGHTED_LAYERS
from wganlab.objectives.penalties import Critic, interpolate, squared_gradient_norms


def input_gradient_norms(critic: Critic, points: Tensor, chunk: int | None = None) -> Tensor:
    """[N] per-sample ||grad_x D(x)||_2 over all non-batch dims, detached; `chunk` points at a time when given
    (for a critic whose score of a point does not depend on the others: eval mode).

    Exact, without the penalties' 1e-12 under the root (it would floor tiny norms at 1e-6).
    """
    return torch.cat([squared_gradient_norms(critic, part).detach().sqrt() for part in chunks(points, chunk)])


def chunks(points: Tensor, chunk: int | None) -> tuple[Tensor, ...]:
    """`points` `chunk` at a time (all at once when `chunk` is None), as the probes pass them through a critic."""
    return points.split(chunk) if chunk is not None else (points,)


@dataclass(frozen=True)
class LipschitzEstimate:
    """Largest input-gradient norms on real, fake and interpolated points, and the spectral upper bound."""

    real: float
    fake: float
    interpolated: float
    spectral_bound: float

    @property
    def lower_bound(self) -> float:
        """max(real, fake, interpolated): no critic that produced these norms has a smaller constant."""
        return max(self.real, self.fake, self.interpolated)


def estimate_lipschitz(
    critic: nn.Module, real: Tensor, fake: Tensor, rng: torch.Generator, chunk: int | None = None
) -> LipschitzEstimate:
    """Max ||grad_x D(x)|| on real, fake and x_hat = eps real + (1 - eps) fake (eps ~ U[0,1] from `rng`), `chunk`
    points at a time when given."""
    points = interpolate(real, fake, rng)  # [N, ...]
    return LipschitzEstimate(
        real=input_gradient_norms(critic, real, chunk).max().item(),
        fake=input_gradient_norms(critic, fake, chunk).max().item(),
        interpolated=input_gradient_norms(critic, points, chunk).max().item(),
        spectral_bound=spectral_norm_product(critic),
    )


def _effective_weight(layer: nn.Module) -> Tensor:
    """layer.weight as the forward pass uses it, without advancing a spectral-norm power iteration."""
    modes = [(module, module.training) for module in layer.modules()]
    layer.eval()  # a parametrised weight in training mode would update its u, v buffers on access
    try:
        with torch.no_grad():
            return layer.weight.detach().clone()
    finally:
        for module, training in modes:
            module.training = training


def _layer_spectral_norm(layer: nn.Module) -> float:
    """sigma_max(W) for a Linear; sigma_max of W reshaped [out, -1] for a convolution (a heuristic)."""
    weight = _effective_weight(layer)
    if isinstance(layer, TRANSPOSED_CONVOLUTIONS):
        weight = weight.transpose(0, 1)  # stored [in, out / groups, k...]
    matrix = weight.reshape(weight.shape[0], -1).double()  # [out, in * k...]
    if not torch.isfinite(matrix).all():
        return math.nan  # a diverged layer has no meaningful norm (and the SVD would not converge)
    return torch.linalg.matrix_norm(matrix, ord=2).item()


def spectral_norm_product(critic: nn.Module) -> float:
    """prod_l sigma_max(W_l) over the critic's Linear and Conv layers (Miyato et al. 2018).

    An upper bound on Lip(D) for 1-Lipschitz activations, exact for a single linear layer. For a
    convolution sigma_max(W reshaped [out, -1]) is not the operator norm of the convolution (which
    also depends on kernel overlap and stride), so with convolutions the product is a heuristic.
    Spectral-norm-parametrised layers contribute their effective (normalised) weight.
    """
    product = 1.0
    for module in critic.modules():
        if isinstance(module, WEIGHTED_LAYERS):
            product *= _layer_spectral_norm(module)
    return product
