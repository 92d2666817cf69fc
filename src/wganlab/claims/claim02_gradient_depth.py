"""Claim 2: weight clipping makes gradients explode or vanish with depth; GP keeps them level (WGAN-GP Fig. 1b left)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Method
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.gradients import critic_loss_layer_norms, log_slope
from wganlab.objectives.losses import LOSSES
from wganlab.objectives.objective import build_objective
from wganlab.plotting import pyplot as plt

EXPLODES = 3.0  # decades across the stack: a factor of 1,000 or more from the output layer to the input layer
LEVEL = 1.0  # decades across the stack: within a factor of 10
EXPECTED = {"clip c=0.1": "explodes", "clip c=0.01": "vanishes", "clip c=0.001": "vanishes", "GP lambda=10": "level"}
POINTS = 256  # held-out real and as many fake points for the per-layer norms
_TINY = torch.finfo(torch.float32).tiny  # a norm that underflowed to 0 counts as the smallest float32

CLAIM = Claim(
    number=2,
    title="weight clipping makes gradients explode or vanish with depth; GP keeps them level",
    source="WGAN-GP (Gulrajani et al. 2017), Sec. 3.2 and Fig. 1b (left)",
    expectation="In a deep critic trained with weight clipping the gradient norm grows (c = 0.1) or shrinks "
    "(c = 0.01, 0.001) geometrically from layer to layer towards the input; with a gradient penalty it stays "
    "roughly level.",
)
PROTOCOL = (
    "Critic: {layers} linear layers (11 hidden ReLU layers of {width}), He-uniform weights and zero biases (WGAN-GP "
    "toy code), trained alone for {iterations} updates of {batch} pairs against a fixed generator = swissroll + "
    "N(0, I). Clipping: RMSProp 5e-5, parameters clamped to [-c, c] after each update; GP: lambda = 10 (Algorithm "
    "1), Adam 1e-4, betas (0.5, 0.9). Then the gradient of the critic loss E D(fake) - E D(real) on {points} "
    "held-out real and {points} fake points w.r.t. each linear layer's output (layer_gradient_norms); g = "
    "-log_slope of the norms (decades per layer, > 0 growing towards the input), span = g * 11 (decades from layer "
    "12 to layer 1)."
)
RULE = (
    f"Per seed, four checks: span >= {EXPLODES:g} decades for c = 0.1 (explodes: a factor of 1,000 or more "
    f"across the stack), span <= -{EXPLODES:g} for c = 0.01 and for c = 0.001 (vanishes), |span| <= {LEVEL:g} "
    "for GP (level: within a factor of 10); holds if all pass, does not hold if none does, mixed otherwise."
)
NOTES = (
    "'span at start' is the same measurement on the untrained critic right after the first clamp (He-uniform "
    "weights are roughly level before it: see GP's start). Span at start -> after training, seed {seed}: "
    "{before_after} decades. A span already near its final value at start was made by clamping the initial "
    "weights, not by training. The generator is held fixed (the paper's figure was recorded during GAN "
    "training); updates are fewer (CPU budget) and batches smaller (64) than the toy code's 256. A layer norm "
    "that underflows to 0 would count as the smallest float32."
)


def per_layer_norms(critic: nn.Module, points: tuple[Tensor, Tensor]) -> list[float]:
    """||d L / d a_l|| for L = E D(fake) - E D(real) (the Wasserstein critic loss), layers in forward order."""
    real, fake = points  # [N, 2] each
    norms = critic_loss_layer_norms(critic, LOSSES["wasserstein"].critic, real, fake)
    return [max(norm, _TINY) for norm in norms]


def growth(norms: list[float]) -> float:
    """g = -log_slope: decades per layer by which the norm grows towards the input (> 0 explodes, < 0 vanishes)."""
    return -log_slope(norms)


def span(norms: list[float]) -> float:
    """Decades of change across the whole stack, input layer against output layer: g * (layers - 1)."""
    return growth(norms) * (len(norms) - 1)


def passes(label: str, decades: float) -> bool:
    kind = EXPECTED[label]
    if kind == "explodes":
        return decades >= EXPLODES
    if kind == "vanishes":
        return decades <= -EXPLODES
    return abs(decades) <= LEVEL


def initial_norms(method: Method, setup: fixed.CriticSetup, points: tuple[Tensor, Tensor]) -> list[float]:
    """Per-layer norms of the untrained critic once its constraint has acted (the clip applies at once)."""
    critic = fixed.initial_critic(setup)
    build_objective(method.objective).constraint.after_step(critic)
    return per_layer_norms(critic, points)


def _plot(curves: dict[str, list[float]], context: ClaimContext) -> Path:
    figure, axes = plt.subplots(figsize=(8, 3.5), dpi=90)
    for label, norms in curves.items():
        axes.semilogy(range(1, len(norms) + 1), norms, marker="o", markersize=3, label=label)
    axes.set_xlabel("critic layer (1 = input side)")
    axes.set_ylabel("||d loss / d activations||")
    axes.set_title("per-layer gradient norms, 12-layer ReLU critic on swissroll")
    axes.legend(fontsize=8)
    return context.save_figure(figure, 2, "layer-gradients")


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows, curves = [], [], {}
    for seed in context.seeds:
        points = fixed.held_out(fixed.DEEP_DATA, seed, POINTS)
        numbers, checks = {}, {}
        for method in fixed.DEEP_METHODS:
            setup = fixed.deep_setup(context, method, seed)
            norms = per_layer_norms(fixed.trained_critic(context, setup).critic, points)
            start, label = initial_norms(method, setup, points), method.label
            numbers[f"span {label}"] = span(norms)
            checks[f"{label}: {EXPECTED[label]}"] = passes(label, span(norms))
            rows.append((seed, label, EXPECTED[label], growth(norms), span(norms), span(start), norms[0], norms[-1]))
            if seed == context.seeds[0]:
                curves[label] = norms
        outcomes.append(SeedOutcome(seed, verdict_of(checks), numbers, checks))
    before_after = ", ".join(f"{row[1]} {row[5]:+.1f} -> {row[4]:+.1f}" for row in rows if row[0] == context.seeds[0])
    setup = fixed.deep_setup(context, fixed.DEEP_METHODS[0], context.seeds[0])
    headers = ("seed", "critic", "expected", "g (decades/layer)", "span (decades)", "span at start")
    table = Table((*headers, "norm layer 1", "norm layer 12"), tuple(rows))
    size = {"layers": setup.depth + 1, "width": setup.width, "iterations": setup.iterations, "batch": setup.batch_size}
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(**size, points=POINTS),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(table,),
        figures=(_plot(curves, context),),
        notes=NOTES.format(seed=context.seeds[0], before_after=before_after),
    )
