"""Mode coverage on toy mixtures: the VEEGAN/PacGAN protocol (REFERENCE.md section 2).

A sample is high quality (HQ) when it lies within n_sigmas * sigma (Euclidean) of its nearest
mode centre; a mode is captured when it is the nearest mode of at least one HQ sample; the
reverse KL compares the histogram of HQ samples over modes with the uniform distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class ModeCoverage:
    """Mode metrics of one sample set (Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN)."""

    modes: int  # modes that are the nearest mode of at least one HQ sample
    total_modes: int
    high_quality: float  # fraction (0..1) of samples within n_sigmas * sigma of their nearest centre
    reverse_kl: float  # KL(p_hat || uniform over all K modes); nan when there is no HQ sample
    counts: tuple[int, ...]  # HQ samples per mode, length K


def mode_coverage(samples: Tensor, centres: Tensor, sigma: float, n_sigmas: float = 3.0) -> ModeCoverage:
    """Modes captured, HQ fraction and KL(p_hat || U_K) = sum_k p_k log(K p_k), with 0 log 0 = 0.

    samples [N, D], centres [K, D] (D = 2 for the toys); distances computed in float64.
    """
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"need samples [N, D] and centres [K, D], got {tuple(samples.shape)} and {tuple(centres.shape)}"
        )
    if len(samples) == 0 or len(centres) == 0:
        raise ValueError("need at least one sample and one mode centre")
    if not sigma > 0.0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    x = samples.detach().to("cpu", torch.float64)  # [N, D]
    c = centres.detach().to("cpu", torch.float64)  # [K, D]
    # Direct differences, not the |x|^2 + |c|^2 - 2 x.c expansion, so tiny distances stay exact.
    distances = torch.cdist(x, c, compute_mode="donot_use_mm_for_euclid_dist")  # [N, K]
    nearest_distance, nearest_mode = distances.min(dim=1)  # [N], [N]
    high_quality = nearest_distance <= n_sigmas * sigma  # [N]
    counts = torch.bincount(nearest_mode[high_quality], minlength=len(c))  # [K]
    total_hq = int(counts.sum())
    if total_hq == 0:
        reverse_kl = math.nan
    else:
        p = counts[counts > 0].double() / total_hq  # [K'] nonzero entries only: 0 log 0 = 0
        reverse_kl = float((p * torch.log(p * len(c))).sum())
    return ModeCoverage(
        modes=int((counts > 0).sum()),
        total_modes=len(c),
        high_quality=float(high_quality.double().mean()),
        reverse_kl=reverse_kl,
        counts=tuple(int(k) for k in counts.tolist()),
    )


def perfect_sampler_hq_ceiling(n_sigmas: float = 3.0) -> float:
    """P(|e| <= n_sigmas sigma) for e ~ N(0, sigma^2 I_2) = 1 - exp(-n_sigmas^2 / 2) (0.98889 at 3 sigma)."""
    return 1.0 - math.exp(-(n_sigmas**2) / 2.0)
