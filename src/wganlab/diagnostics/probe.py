"""One diagnostic probe of a critic at a point in training: every diagnostic in one flat record.

The record is what `diagnostics.jsonl` holds per evaluation and what `wganlab diagnose` prints: the
Lipschitz estimates, the per-layer gradient norms and their slope, the fraction of weights at the clip
bound (under clipping), the critic's mean score on training vs held-out real data, and a count of
non-finite parameters.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wganlab.diagnostics.gradients import critic_loss_layer_norms, log_slope
from wganlab.diagnostics.lipschitz import chunks, estimate_lipschitz
from wganlab.diagnostics.weights import clip_saturation
from wganlab.objectives.losses import CriticLoss

ProbeRecord = dict[str, float | list[float]]  # one probe: diagnostic name -> value (per-layer norms as a list)


def heldout_gap(
    critic: nn.Module, train: Tensor, held_out: Tensor, chunk: int | None = None
) -> tuple[float, float, float]:
    """(mean D(train), mean D(held-out), their difference): > 0 and growing when the critic memorises its data;
    `chunk` points at a time through the critic when given.

    WGAN-GP Sec. 5.6 (Gulrajani et al. 2017) plots this gap to detect a critic that overfits.
    """
    with torch.no_grad():
        train_score, held_out_score = (
            torch.cat([critic(part) for part in chunks(points, chunk)]).double().mean().item()
            for points in (train, held_out)
        )
    return train_score, held_out_score, train_score - held_out_score


def nonfinite_parameters(module: nn.Module) -> int:
    return int(sum((~torch.isfinite(p.detach())).sum().item() for p in module.parameters()))


def probe_critic(
    critic: nn.Module,
    loss: CriticLoss,
    real: Tensor,
    fake: Tensor,
    rng: torch.Generator,
    held_out: Tensor | None = None,
    clip_value: float | None = None,
    chunk: int | None = None,
) -> ProbeRecord:
    """Every diagnostic of `critic` on `real`, `fake` [N, ...] (and `held_out` real data, if any); with `chunk`,
    that many points at a time go through a critic in eval mode (memory of one chunk's activations)."""
    record: ProbeRecord = {"nonfinite/parameters": float(nonfinite_parameters(critic))}
    lipschitz = estimate_lipschitz(critic, real, fake, rng, chunk)
    record |= {
        "lipschitz/real": lipschitz.real,
        "lipschitz/fake": lipschitz.fake,
        "lipschitz/interpolated": lipschitz.interpolated,
        "lipschitz/spectral_bound": lipschitz.spectral_bound,
    }
    norms = critic_loss_layer_norms(critic, loss, real, fake, chunk)
    record["gradients/layer_norms"] = norms
    usable = len(norms) >= 2 and all(n > 0 and math.isfinite(n) for n in norms)
    record["gradients/log_slope"] = log_slope(norms) if usable else math.nan
    if clip_value is not None:
        record["weights/clip_saturation"] = clip_saturation(critic, clip_value)
    if held_out is not None:
        train_score, held_out_score, gap = heldout_gap(critic, real, held_out, chunk)
        record |= {"critic/train_score": train_score, "critic/heldout_score": held_out_score, "critic/heldout_gap": gap}
    return record


def combine_class_probes(records: list[ProbeRecord]) -> ProbeRecord:
    """One record from the probes of a conditional critic class by class (each with as many points of that class,
    scored with its label): what the probe of all the points, each scored with its own label, would say. The
    largest gradient norms are the largest of any class; the layer norms of the batch's mean loss are the root of
    the classes' sum of squares over their count (each class's loss is the mean over its own points); the scores
    the mean of the classes'. Parameter-wise values (non-finite count, spectral bound, clip saturation) are
    the same in each."""
    combined = dict(records[0])
    for key in ("lipschitz/real", "lipschitz/fake", "lipschitz/interpolated"):
        combined[key] = max(float(record[key]) for record in records)  # type: ignore[arg-type]
    for key in ("critic/train_score", "critic/heldout_score", "critic/heldout_gap"):
        if key in combined:
            combined[key] = sum(float(record[key]) for record in records) / len(records)  # type: ignore[arg-type]
    layers = zip(*(record["gradients/layer_norms"] for record in records), strict=True)  # type: ignore[call-overload]
    norms = [math.sqrt(sum(n * n for n in layer)) / len(records) for layer in layers]
    combined["gradients/layer_norms"] = norms
    usable = len(norms) >= 2 and all(n > 0 and math.isfinite(n) for n in norms)
    combined["gradients/log_slope"] = log_slope(norms) if usable else math.nan
    return combined
