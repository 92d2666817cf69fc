"""Claim 6: the optimal critic has unit gradient norm between real and fake (WGAN-GP Corollary 1)."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import gradient_penalty
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.plotting import pyplot as plt

PENALISED = (gradient_penalty(10.0), fixed.ONE_SIDED)
MEDIAN_OFF = 0.1  # median | ||grad D(x_hat)|| - 1 | at most this
BAND = (0.8, 1.2)
IN_BAND = 0.7  # at least this share of the interpolates with a norm inside BAND
ESTIMATE_OFF = 0.1  # |estimate / W1 - 1| at most this: the critic is near optimal, so the corollary applies

CLAIM = Claim(
    number=6,
    title="the optimal critic has unit gradient norm between real and fake",
    source="WGAN-GP (Gulrajani et al. 2017), Proposition 1 and Corollary 1",
    expectation="The optimal 1-Lipschitz critic has gradient norm 1 almost everywhere on the lines between "
    "coupled real and fake points; the gradient penalty enforces this softly, so a near-optimal GP critic's "
    "norms at real-fake interpolates cluster at 1.",
)
PROTOCOL = (
    "8gaussians, 25gaussians and swissroll against a fixed generator = real + N(0, I); claim 1's critics where "
    "shared ({depth} hidden ReLU layers of {width}, He-uniform weights, zero output layer, {iterations} updates "
    "of {batch} pairs, Adam 1e-4, betas (0.5, 0.9)): GP lambda = 10 (two-sided, Algorithm 1) and LP lambda = 10 "
    "(one-sided, WGAN-LP: norms below 1 are not penalised, so unit norms there come from optimality rather than "
    "from the penalty). Norms n = ||grad D(x_hat)|| at x_hat = eps real + (1 - eps) fake on {held_out:,} held-out "
    "pairs; estimate = E D(real) - E D(fake) on {fresh:,} fresh pairs against W1 exact (POT) on the held-out "
    "points. Contrast (not in the rule): the weight-clipped critic of claim 1 (c = 0.01), its norms divided by "
    "their maximum and its estimate by that maximum."
)
RULE = (
    f"Per seed, for each data set and each of GP and LP, three checks: median |n - 1| <= {MEDIAN_OFF:g}, a "
    f"share >= {IN_BAND:g} of n in [{BAND[0]:g}, {BAND[1]:g}], and |estimate / W1 - 1| <= {ESTIMATE_OFF:g} "
    "(the critic is near optimal, which the corollary is about); 18 checks, holds if all pass, does not hold if "
    "none does, mixed otherwise. The per-seed numbers are the worst case over the data sets."
)
NOTES = (
    "Interpolates pair random real and fake points, not the optimal coupling's pairs, so even the optimal "
    "critic need not have norm 1 at every x_hat. The paper's critics were trained for far longer; an estimate "
    "short of W1 means our critic is not yet optimal, and then the norm checks say only what the penalty and "
    "training did so far. The clipped contrast tells whether a critic's gradient magnitude is uniform up to "
    "scale; what Corollary 1 adds is that the scale is 1 and the critic is optimal, which only the penalised "
    "critics are held to."
)


def unit_likeness(norms: Tensor) -> tuple[float, float]:
    """(median |n - 1|, share of n inside BAND) for gradient norms n [N]."""
    inside = (norms >= BAND[0]) & (norms <= BAND[1])
    return (norms - 1.0).abs().median().item(), inside.double().mean().item()


def _plot(curves: dict[str, dict[str, Tensor]], context: ClaimContext) -> Path:
    figure, axes = plt.subplots(1, len(curves), figsize=(8, 3.2), dpi=90, sharey=True)
    for axis, (data, by_critic) in zip(axes, curves.items(), strict=True):
        for label, norms in by_critic.items():
            axis.hist(norms.numpy(), bins=40, range=(0.0, 1.6), histtype="step", density=True, label=label)
        axis.axvline(1.0, color="grey", linewidth=0.8)
        axis.set_title(data, fontsize=9)
        axis.set_xlabel("||grad D(x_hat)||")
    axes[0].legend(fontsize=7)
    return context.save_figure(figure, 6, "interpolate-gradient-norms")


def measure_data_set(context: ClaimContext, data: str, seed: int) -> tuple[list[tuple], dict[str, Tensor]]:
    """Rows (label, median |n - 1|, share in band, estimate / W1) for GP, LP and the clipped contrast; the norms."""
    held_out, fresh = fixed.evaluation_sizes(context)
    w1 = fixed.held_out_w1(context, data, seed, held_out)
    rows, norms_by_critic = [], {}
    for method in (*PENALISED, fixed.TOY_CLIP):
        critic = fixed.trained_critic(context, fixed.toy_setup(context, data, method, seed)).critic
        norms = fixed.interpolate_norms(critic, data, seed, held_out)  # [held_out]
        label, scale = method.label, 1.0
        if method is fixed.TOY_CLIP:  # a clipped critic's scale is arbitrary: compare its shape
            label, scale = f"{method.label}, norms / max", norms.max().item()
        norms_by_critic[label] = norms / scale
        relative = fixed.wasserstein_estimate(critic, data, seed, fresh) / (scale * w1)
        rows.append((label, *unit_likeness(norms / scale), relative))
    return rows, norms_by_critic


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows, curves = [], [], {}
    for seed in context.seeds:
        numbers, checks = {}, []
        for data in fixed.TOY_SETS:
            measured, curves_here = measure_data_set(context, data, seed)
            rows += [(seed, data, *row) for row in measured]
            for label, off, inside, relative in measured[: len(PENALISED)]:
                checks += [off <= MEDIAN_OFF, inside >= IN_BAND, abs(relative - 1.0) <= ESTIMATE_OFF]
                numbers[f"median |n-1| {label}"] = max(numbers.get(f"median |n-1| {label}", 0.0), off)
                numbers[f"in band {label}"] = min(numbers.get(f"in band {label}", 1.0), inside)
                numbers[f"|est/W1-1| {label}"] = max(numbers.get(f"|est/W1-1| {label}", 0.0), abs(relative - 1.0))
            if seed == context.seeds[0]:
                curves[data] = curves_here
        outcomes.append(SeedOutcome(seed, verdict_of(checks), numbers))
    held_out, fresh = fixed.evaluation_sizes(context)
    setup = fixed.toy_setup(context, fixed.TOY_SETS[0], PENALISED[0], context.seeds[0])
    size = {"depth": setup.depth, "width": setup.width, "iterations": setup.iterations, "batch": setup.batch_size}
    table = Table(("seed", "data", "critic", "median |n - 1|", "share in [0.8, 1.2]", "estimate / W1"), tuple(rows))
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(**size, held_out=held_out, fresh=fresh),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(table,),
        figures=(_plot(curves, context),),
        notes=NOTES,
    )
