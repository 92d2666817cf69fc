"""Claim 5: clipping the optimiser's gradient norm is not a Lipschitz constraint; Keras MaxNorm is not weight clipping.

Seed thread 001 asks why WGAN-GP exists when Keras can clip the gradient norm at 1; seed thread 000 calls a
MaxNorm kernel constraint weight clipping. Critics are trained alone against a fixed generator (claims/critic_fit.py)
with wganlab's "grad-clip" and "maxnorm" constraints, next to a GP critic and a weight-clipped one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Method, clipping, fit_critic, gradient_penalty, make_critic, noisy_copy
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.config import ObjectiveConfig
from wganlab.data.toy import make_toy
from wganlab.diagnostics.lipschitz import LipschitzEstimate, estimate_lipschitz
from wganlab.diagnostics.weights import clip_saturation
from wganlab.plotting import pyplot as plt

WIDTH, DEPTH, BATCH, MAX_NORM, CLIP_VALUE = 128, 3, 256, 1.0, 0.01
GRAD_CLIP = Method(
    "grad-norm clip 1", ObjectiveConfig(loss="wasserstein", penalty="none", constraint="grad-clip", grad_clip_norm=1.0)
)
MAXNORM = Method(
    f"MaxNorm {MAX_NORM:g}",
    ObjectiveConfig(loss="wasserstein", penalty="none", constraint="maxnorm", max_norm=MAX_NORM),
)
GP, CLIPPED = gradient_penalty(10.0), clipping(CLIP_VALUE)
METHODS = (GRAD_CLIP, GP, MAXNORM, CLIPPED)
GROWN = 10.0  # A1: the grad-clip critic's final Lipschitz lower bound at least this
GROWING = 1.5  # A2: ... and at least this many times its value halfway
GP_BOUND = 2.0  # A3: the GP critic's at most this
AT_BOUND_SHARE = 0.1  # B1: at least this share of MaxNorm units at the bound (it binds)
BOX_SHARE, PILED_SHARE = 0.01, 0.5  # B2: parameters at a box bound: MaxNorm at most, clipping at least
MAXNORM_LIPSCHITZ = 2.0  # B3: the MaxNorm critic's Lipschitz lower bound at least this

CLAIM = Claim(
    number=5,
    title="clipping the optimiser's gradient norm is not a Lipschitz constraint; MaxNorm is not weight clipping",
    source="Seed threads 001 (Stack Overflow: 'If we can clip gradient in WGAN, why bother with WGAN-GP?') and 000 "
    "(Keras MaxNorm presented as weight clipping); WGAN-GP (Gulrajani et al. 2017) Sec. 3-4",
    expectation="Clipping the norm of the optimiser's gradient bounds each step in parameter space, not the "
    "critic's slope in input space: under the Wasserstein loss, which rewards scaling the critic up, its "
    "Lipschitz constant keeps growing, while a GP critic's stays near 1. Keras MaxNorm caps the L2 norm of each "
    "unit's incoming weights: a per-unit bound, not a box on every weight, so weights do not pile at +/-c as "
    "under clipping, and it does not make the critic 1-Lipschitz either (a layer's spectral norm can reach "
    "m sqrt(units)).",
)
PROTOCOL = (
    f"Real: 8gaussians; fixed generator: real plus unit Gaussian noise (WGAN-GP Fig. 1). Critics: "
    f"seeded {DEPTH}x{WIDTH} ReLU MLPs trained alone for {{iterations}} updates, batch {BATCH}, Wasserstein loss: "
    f"(A) optimiser gradient-norm clipping at 1 (torch clip_grad_norm_, as Keras clipnorm), Adam 1e-4 betas "
    f"(0.5, 0.9), no other constraint; GP lambda 10, same Adam; (B) Keras MaxNorm with m = {MAX_NORM:g} after "
    f"every step, same Adam; weight clipping c = {CLIP_VALUE:g}, RMSProp 5e-5 (WGAN). Lipschitz lower bound: the "
    f"largest input-gradient norm on {{points}} fresh real, fake and interpolated points (every {{every}} updates); "
    "upper bound: the product of the layers' spectral norms."
)
RULE = (
    f"Per seed, six checks. (A1) the grad-clip critic's final Lipschitz lower bound is >= {GROWN:g}; "
    f"(A2) it is still growing: final >= {GROWING:g} x its value at half the updates; (A3) the GP critic's "
    f"final lower bound is <= {GP_BOUND:g}. (B1) MaxNorm holds its per-unit bound and binds: every unit norm "
    f"<= m (1 + 1e-5) and >= {AT_BOUND_SHARE:.0%} of units at m (within 0.1%); (B2) it is not a box: "
    f"<= {BOX_SHARE:.0%} of the MaxNorm critic's parameters sit at +/- its largest |w| (tolerance 1e-6), "
    f"while >= {PILED_SHARE:.0%} of the clipped critic's sit at +/-c; (B3) MaxNorm does not make the critic "
    f"1-Lipschitz: its lower bound is >= {MAXNORM_LIPSCHITZ:g}. Holds if all pass, does not hold if none does, "
    "mixed otherwise."
)
NOTES = (
    "Adam (like RMSProp) divides each step by a running gradient scale, so rescaling the gradient changes "
    "its steps little: with an adaptive optimiser, gradient-norm clipping is close to no constraint; with SGD it "
    "would slow the critic's growth, not bound it. Weight clipping at c bounds a unit's norm only by "
    "c sqrt(fan-in) (the clipped critic's units sit near 0.01 sqrt(2) and 0.01 sqrt(128)); MaxNorm bounds it by "
    "m whatever the fan-in, which bounds Lip(D) only by prod_l m sqrt(units_l), about 1,450 for this critic. "
    "The GP critic's lower bound can exceed 1 slightly: the penalty is soft and acts on interpolates only."
)


@dataclass(frozen=True)
class Trace:
    """A critic trained alone, and its Lipschitz lower bound after every `every` updates."""

    critic: nn.Module
    iterations: list[int]
    lower_bounds: list[float]
    final: LipschitzEstimate


def trained_with_trace(method: Method, seed: int, iterations: int, every: int, points: int) -> Trace:
    """Train a seeded critic on 8gaussians vs the same plus unit Gaussian noise, estimating Lip(D) on the way."""
    real = make_toy("8gaussians").sample
    fake = noisy_copy(real)
    rng = torch.Generator().manual_seed(seed)
    critic = make_critic(method, WIDTH, DEPTH, seed)
    steps, bounds = [], []

    def record(update: int) -> None:
        if update % every == 0:
            steps.append(update)
            bounds.append(estimate_lipschitz(critic, real(points, rng), fake(points, rng), rng).lower_bound)

    fit_critic(critic, method, real, fake, iterations, rng, BATCH, observe=record)
    return Trace(critic, steps, bounds, estimate_lipschitz(critic, real(points, rng), fake(points, rng), rng))


def unit_norms(critic: nn.Module) -> Tensor:
    """[U] the L2 norm of every unit's incoming weights (the rows of every Linear weight): what MaxNorm caps."""
    rows = [module.weight.detach().norm(dim=1) for module in critic.modules() if isinstance(module, nn.Linear)]
    return torch.cat(rows)  # [U]


def largest_weight(critic: nn.Module) -> float:
    return max(parameter.detach().abs().max().item() for parameter in critic.parameters())


def box_saturation(critic: nn.Module) -> float:
    """Share of parameters at +/- the largest |parameter|: how weights pile at a box, whatever its bound."""
    return clip_saturation(critic, largest_weight(critic))


def _outcome(seed: int, traces: dict[str, Trace]) -> SeedOutcome:
    grad_clip, gp = traces[GRAD_CLIP.label].lower_bounds, traces[GP.label].lower_bounds
    maxnorm = traces[MAXNORM.label]
    norms = unit_norms(maxnorm.critic)
    growth = grad_clip[-1] / grad_clip[len(grad_clip) // 2 - 1]
    at_bound = (norms >= MAX_NORM * (1 - 1e-3)).double().mean().item()
    maxnorm_box, clipped_box = box_saturation(maxnorm.critic), clip_saturation(traces[CLIPPED.label].critic, CLIP_VALUE)
    checks = {
        "A1": grad_clip[-1] >= GROWN,
        "A2": growth >= GROWING,
        "A3": gp[-1] <= GP_BOUND,
        "B1": norms.max().item() <= MAX_NORM * (1 + 1e-5) and at_bound >= AT_BOUND_SHARE,
        "B2": maxnorm_box <= BOX_SHARE and clipped_box >= PILED_SHARE,
        "B3": maxnorm.final.lower_bound >= MAXNORM_LIPSCHITZ,
    }
    numbers = {
        "A1 grad-clip: final Lipschitz lower bound": grad_clip[-1],
        "A2 grad-clip: final / halfway lower bound": growth,
        "A3 GP: final Lipschitz lower bound": gp[-1],
        "B1 MaxNorm: largest unit norm": norms.max().item(),
        "B1 MaxNorm: share of units at the bound": at_bound,
        "B2 MaxNorm: share of parameters at its largest |w|": maxnorm_box,
        f"B2 clip {CLIP_VALUE:g}: share of parameters at +/-c": clipped_box,
        "B3 MaxNorm: final Lipschitz lower bound": maxnorm.final.lower_bound,
    }
    return SeedOutcome(seed, verdict_of(checks), numbers, checks)


def _critic_row(label: str, trace: Trace) -> tuple[str, float, float, float, float, float]:
    critic, final = trace.critic, trace.final
    largest_unit = unit_norms(critic).max().item()
    return (
        label,
        final.lower_bound,
        final.spectral_bound,
        largest_unit,
        largest_weight(critic),
        box_saturation(critic),
    )


def _figure(context: ClaimContext, traces: dict[str, Trace]) -> Path:
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    for label, trace in traces.items():
        left.semilogy(trace.iterations, trace.lower_bounds, label=label)
    left.axhline(1.0, color="k", lw=0.6, ls=":")
    left.set_xlabel("critic update")
    left.set_ylabel("Lipschitz lower bound max ||grad D||")
    left.legend(fontsize=7)
    left.set_title("A: Lipschitz lower bound while training", fontsize=9)
    norms = {label: unit_norms(traces[label].critic) for label in (MAXNORM.label, CLIPPED.label)}
    bins = torch.linspace(0.0, 1.02 * max(values.max().item() for values in norms.values()), 52).numpy()
    for label, values in norms.items():
        right.hist(values.numpy(), bins=bins, alpha=0.6, label=label)
    right.axvline(MAX_NORM, color="k", lw=0.6, ls=":")
    right.set_xlabel("unit incoming-weight norm")
    right.set_ylabel("units")
    right.set_title("B: MaxNorm caps unit norms at m; clipping gives c sqrt(fan-in)", fontsize=9)
    right.legend(fontsize=7)
    return context.save_figure(figure, 5, "lipschitz")


def run(context: ClaimContext) -> ClaimResult:
    iterations, every, points = context.size(2000, 100), context.size(100, 20), context.size(1024, 256)
    all_traces = {
        seed: {method.label: trained_with_trace(method, seed, iterations, every, points) for method in METHODS}
        for seed in context.seeds
    }
    first = all_traces[context.seeds[0]]
    headers = ("critic (first seed)", "Lipschitz lower bound", "spectral upper bound", "largest unit norm")
    critics = Table(
        (*headers, "largest |w|", "share at +/- largest |w|"),
        tuple(_critic_row(label, trace) for label, trace in first.items()),
    )
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(iterations=iterations, points=points, every=every),
        rule=RULE,
        outcomes=tuple(_outcome(seed, traces) for seed, traces in all_traces.items()),
        tables=(critics,),
        figures=(_figure(context, first),),
        notes=NOTES,
    )
