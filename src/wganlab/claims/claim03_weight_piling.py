"""Claim 3: weight clipping piles the critic's weights at +/-c; under a gradient penalty they spread (Fig. 1b right)."""

from __future__ import annotations

from pathlib import Path

from torch import nn
from torch.nn.utils import parameters_to_vector

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Method, clipping, gradient_penalty
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.weights import at_clip_bound, clip_saturation, weight_histogram
from wganlab.objectives.constraints import clip_weights_
from wganlab.plotting import pyplot as plt

CLIP = clipping(0.01)
GP = gradient_penalty(10.0)
PILED = 0.5  # clipping: at least half of the parameters sit at +-c
SPREAD = 0.05  # GP: at most 5% of the parameters lie within 1% of the critic's own largest |w|
NEAR = 0.01  # "at the extremes": |w| >= (1 - NEAR) * max |w|

CLAIM = Claim(
    number=3,
    title="weight clipping piles the weights at +/-c; under GP they spread",
    source="WGAN-GP (Gulrajani et al. 2017), Sec. 3.2 and Fig. 1b (right)",
    expectation="After training with weight clipping most of the critic's weights sit at the two ends of the "
    "clipping range, -c and +c; with a gradient penalty instead the weights spread out with no pile at the "
    "extremes.",
)
PROTOCOL = (
    "Claim 2's critics (shared, trained once): {layers} linear layers of {width} (ReLU), He-uniform initial "
    "weights, swissroll against real + N(0, I), {iterations} updates of {batch} pairs; clipping c = 0.01 with "
    "RMSProp 5e-5, GP lambda = 10 with Adam 1e-4. All parameters (weights and biases) counted. 'at +-c' is "
    "clip_saturation (| |w| - c | <= 1e-6); for the GP critic, which has no c, 'within 1% of max |w|' counts the "
    "parameters at its own extremes. 'At start' is the initial critic after the first clamp; 'newly saturated' is "
    "the fraction of the parameters inside (-c, c) at start that end at +-c."
)
RULE = (
    f"Per seed: holds if the clipped critic (c = 0.01) has at least {PILED:.0%} of its parameters at +-c "
    f"and the GP critic has at most {SPREAD:.0%} within 1% of its largest |w|; does not hold if neither, mixed "
    "if one."
)
NOTES = (
    "Much of the pile is there before training: He-uniform initial weights of a 512-unit layer have |w| up to "
    "0.108, so the first clamp to c = 0.01 already puts most of them at +-c ('clip saturation at start'); the "
    "same holds for the paper's TensorFlow code, which also initialises with He. 'Clip newly saturated' isolates "
    "what training adds. Seed {seed}: {start:.1%} at +-c after the first clamp, {end:.1%} after training, and "
    "{new:.1%} of the parameters that started inside the range ended at its ends."
)


def fraction_near_largest(critic: nn.Module, tolerance: float = NEAR) -> float:
    """Fraction of parameters w with |w| >= (1 - tolerance) * max |w|: those at the critic's own extremes."""
    weights = parameters_to_vector(critic.parameters()).detach().abs()  # [P]
    return (weights >= (1.0 - tolerance) * weights.max()).double().mean().item()


def newly_saturated(start: nn.Module, end: nn.Module, clip_value: float) -> float:
    """Of the parameters strictly inside (-c, c) in `start`, the fraction at +-c in `end`: the piling training did."""
    before = parameters_to_vector(start.parameters()).detach()  # [P]
    after = parameters_to_vector(end.parameters()).detach()  # [P]
    inside = (before.abs() < clip_value) & ~at_clip_bound(before, clip_value)
    if not inside.any():
        return float("nan")
    return at_clip_bound(after[inside], clip_value).double().mean().item()


def _plot(clipped: nn.Module, penalised: nn.Module, context: ClaimContext) -> Path:
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.5), dpi=90)
    for axis, critic, title in ((axes[0], clipped, CLIP.label), (axes[1], penalised, GP.label)):
        counts, edges = weight_histogram(critic, bins=50)
        axis.bar(edges[:-1], counts, width=edges[1:] - edges[:-1], align="edge")
        axis.set_yscale("log")
        axis.set_title(f"{title}: all critic parameters")
        axis.set_xlabel("value")
    axes[0].set_ylabel("count (log scale)")
    return context.save_figure(figure, 3, "weight-histograms")


def _seed_outcome(context: ClaimContext, seed: int) -> SeedOutcome:
    """Saturation of the clipped critic (at the end, after the first clamp, newly) and the GP critic's extremes."""
    clip_setup, gp_setup = fixed.deep_setup(context, CLIP, seed), fixed.deep_setup(context, GP, seed)
    clipped = fixed.trained_critic(context, clip_setup).critic
    penalised = fixed.trained_critic(context, gp_setup).critic
    start = fixed.initial_critic(clip_setup)
    clip_weights_(start, CLIP.objective.clip_value)  # what the first update's clamp does to the initial weights
    numbers = {
        "clip saturation": clip_saturation(clipped, CLIP.objective.clip_value),
        "clip saturation at start": clip_saturation(start, CLIP.objective.clip_value),
        "clip newly saturated": newly_saturated(start, clipped, CLIP.objective.clip_value),
        "GP near its largest": fraction_near_largest(penalised),
    }
    checks = [numbers["clip saturation"] >= PILED, numbers["GP near its largest"] <= SPREAD]
    return SeedOutcome(seed, verdict_of(checks), numbers)


def _critic_row(context: ClaimContext, method: Method, seed: int) -> tuple[object, ...]:
    critic = fixed.trained_critic(context, fixed.deep_setup(context, method, seed)).critic
    clip_value = fixed.clip_value(method)
    saturation = float("nan") if clip_value is None else clip_saturation(critic, clip_value)
    weights = parameters_to_vector(critic.parameters()).detach().abs()
    return seed, method.label, saturation, fraction_near_largest(critic), weights.max().item(), weights.median().item()


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows = [], []
    for seed in context.seeds:
        outcomes.append(_seed_outcome(context, seed))
        rows += [_critic_row(context, method, seed) for method in fixed.DEEP_METHODS]
    first, first_numbers = context.seeds[0], outcomes[0].numbers
    setup = fixed.deep_setup(context, CLIP, first)
    figure = _plot(
        fixed.trained_critic(context, setup).critic,
        fixed.trained_critic(context, fixed.deep_setup(context, GP, first)).critic,
        context,
    )
    table = Table(("seed", "critic", "at +-c", "within 1% of max |w|", "max |w|", "median |w|"), tuple(rows))
    size = {"layers": setup.depth + 1, "width": setup.width, "iterations": setup.iterations, "batch": setup.batch_size}
    shares = {
        "start": first_numbers["clip saturation at start"],
        "end": first_numbers["clip saturation"],
        "new": first_numbers["clip newly saturated"],
    }
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(**size),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(table,),
        figures=(figure,),
        notes=NOTES.format(seed=first, **shares),
    )
