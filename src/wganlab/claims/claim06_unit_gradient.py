"""Claim 6: the optimal critic has unit gradient norm between real and fake (WGAN-GP Corollary 1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import NOT_JUDGED, Claim, ClaimResult, SeedOutcome, Table, Verdict, verdict_of
from wganlab.plotting import pyplot as plt

PENALISED = (fixed.TOY_PENALISED[1], fixed.ONE_SIDED)  # GP lambda = 10 (claim 1's critic) and LP lambda = 10
CRITICS = (*PENALISED, fixed.TOY_CLIP)  # the clipped critic as a contrast
MEDIAN_OFF = 0.1  # median | ||grad D|| - 1 | at most this
BAND = (0.8, 1.2)
IN_BAND = 0.7  # at least this share of the segment points with a norm inside BAND
NEAR_OPTIMAL = 0.05  # r with f* at most this far below the reference's: the critic is near optimal
REFERENCE = "f* of another sample"
HEADERS = ("seed", "data", "critic", "converged", "updates", "estimate / W1", "r with f*", "median |n - 1|",
           f"share in [{BAND[0]:g}, {BAND[1]:g}]")

CLAIM = Claim(
    number=6,
    title="the optimal critic has unit gradient norm between real and fake",
    source="WGAN-GP (Gulrajani et al. 2017), Proposition 1 and Corollary 1",
    expectation="The optimal 1-Lipschitz critic has gradient norm 1 almost everywhere on the lines between "
    "coupled real and fake points; the gradient penalty enforces this softly, so a near-optimal GP critic's "
    "norms there cluster at 1.",
)
PROTOCOL = (
    "8gaussians, 25gaussians and swissroll against a fixed generator = real + N(0, I); claim 1's critics where "
    "shared ({depth} hidden ReLU layers of {width}, He-uniform weights, zero output layer, batches of {batch} "
    "pairs, Adam {lr:g}, betas (0.5, 0.9)): GP lambda = 10 (two-sided, Algorithm 1) and LP lambda = 10 (one-sided, "
    "WGAN-LP: norms below 1 are not penalised, so unit norms there come from optimality rather than from the "
    "penalty). {convergence} f*: the exact optimal critic between {points:,} held-out real and {points:,} fake "
    "points (POT); its coupling pairs each real point with the fake points it moves mass to, and f* has slope "
    "exactly 1 along those segments. Norms n = ||grad D|| at 1,000 points drawn uniformly on the segments of "
    "randomly chosen coupled pairs; r: Pearson's correlation of D with f* on {points:,} fresh real and {points:,} "
    f"fresh fake points; estimate / W1 on the held-out points. Reference row '{REFERENCE}': the exact optimal "
    "critic between a second, independent draw, whose r is what a critic optimal for the distributions scores. "
    "Contrast (not in the rule): the weight-clipped critic of claim 1 (c = 0.01), its norms divided by their "
    "maximum and its estimate by that maximum."
)
RULE = (
    f"Per seed, for each data set and each of GP and LP, three checks: median |n - 1| <= {MEDIAN_OFF:g}, a share "
    f">= {IN_BAND:g} of n in [{BAND[0]:g}, {BAND[1]:g}], and r >= the reference's r - {NEAR_OPTIMAL:g} (the critic "
    "is near optimal, which the corollary is about). A critic's checks count only if it converged (column "
    "'converged'). Of at most 18 checks: holds if every counted check passes, does not hold if none does, mixed "
    "otherwise, not judged if none counts. The per-seed numbers are the worst case over the data sets."
)
NOTES = (
    "Corollary 1 is about the optimal critic; f* itself has slope 1 on every segment by construction, so what is "
    "measured is whether trained critics near f* share that property. A two-sided penalty pushes the norm to 1 at "
    "random real-fake interpolates too, where f* can be flatter, so a GP critic can pass the norm checks and still "
    "sit further from f* than LP's. The clipped contrast tells whether a critic's gradient magnitude is uniform up "
    "to scale; what Corollary 1 adds is that the scale is 1 and the critic is optimal, which only the penalised "
    "critics are held to."
)


@dataclass(frozen=True)
class Row:
    """One critic's measurements on one data set."""

    label: str
    converged: bool | None  # None for the reference f*
    updates: int | None
    estimate: float  # estimate / W1 (for the clipped contrast, / its largest norm too)
    correlation: float  # r with f*
    off: float | None  # median |n - 1|
    inside: float | None  # share of n in BAND

    def cells(self, seed: int, data: str) -> tuple:
        converged = None if self.converged is None else ("yes" if self.converged else "no (cap)")
        return (seed, data, self.label, converged, self.updates, self.estimate, self.correlation, self.off,
                self.inside)


def unit_likeness(norms: torch.Tensor) -> tuple[float, float]:
    """(median |n - 1|, share of n inside BAND) for gradient norms n [N]."""
    inside = (norms >= BAND[0]) & (norms <= BAND[1])
    return (norms - 1.0).abs().median().item(), inside.double().mean().item()


def measure_data_set(context: ClaimContext, data: str, seed: int) -> tuple[list[Row], dict[str, torch.Tensor]]:
    """Rows for GP, LP, the clipped contrast and the reference; each critic's segment norms."""
    points = fixed.evaluation_size(context)
    optimal = fixed.optimum(context, data, seed, points)
    rows, norms_by_critic = [], {}
    for method in CRITICS:
        trained = fixed.trained_critic(context, fixed.toy_setup(context, data, method, seed))
        agreement = fixed.compare(context, trained.critic, data, seed, points)
        norms = torch.from_numpy(agreement.segment_gradient_norms)  # [1000]
        label, scale = method.label, 1.0
        if method is fixed.TOY_CLIP:  # a clipped critic's scale is arbitrary: compare its shape
            label, scale = f"{method.label}, norms / max", norms.max().item()
        norms_by_critic[label] = norms / scale
        estimate = fixed.held_out_estimate(trained.critic, optimal) / (scale * optimal.w1)
        rows.append(Row(label, trained.converged, trained.updates, estimate, agreement.linear_correlation,
                        *unit_likeness(norms / scale)))
    reference = fixed.reference(context, data, seed, points)
    rows.append(Row(REFERENCE, None, None, reference["estimate / W1"], reference["r with f*"], None, None))
    return rows, norms_by_critic


def outcome(seed: int, measured: dict[str, list[Row]]) -> SeedOutcome:
    """RULE for one seed, from each data set's rows (the penalised critics' and the reference's)."""
    numbers: dict[str, float] = {}
    checks: dict[str, bool] = {}
    for data, rows in measured.items():
        by_label = {row.label: row for row in rows}
        target = by_label[REFERENCE].correlation - NEAR_OPTIMAL
        for method in PENALISED:
            row = by_label[method.label]
            assert row.off is not None and row.inside is not None
            numbers[f"median |n-1| {row.label}"] = max(numbers.get(f"median |n-1| {row.label}", 0.0), row.off)
            numbers[f"in band {row.label}"] = min(numbers.get(f"in band {row.label}", 1.0), row.inside)
            shortfall = by_label[REFERENCE].correlation - row.correlation
            numbers[f"r below reference {row.label}"] = max(numbers.get(f"r below reference {row.label}", -1.0),
                                                            shortfall)
            if row.converged:
                checks[f"{data}: {row.label}'s median |n - 1|"] = row.off <= MEDIAN_OFF
                checks[f"{data}: {row.label}'s share in band"] = row.inside >= IN_BAND
                checks[f"{data}: {row.label} near f*"] = row.correlation >= target
    numbers["checks counted"] = float(len(checks))
    verdict: Verdict = verdict_of(checks) if checks else NOT_JUDGED
    return SeedOutcome(seed, verdict, numbers, checks)


def _plot(curves: dict[str, dict[str, torch.Tensor]], context: ClaimContext) -> Path:
    figure, axes = plt.subplots(1, len(curves), figsize=(8, 3.2), dpi=90, sharey=True)
    for axis, (data, by_critic) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        for label, norms in by_critic.items():
            axis.hist(norms.numpy(), bins=40, range=(0.0, 1.6), histtype="step", density=True, label=label)
        axis.axvline(1.0, color="grey", linewidth=0.8)
        axis.set_title(data, fontsize=9)
        axis.set_xlabel("||grad D|| on coupling segments", fontsize=8)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    return context.save_figure(figure, 6, "segment-gradient-norms")


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows, curves = [], [], {}
    for seed in context.seeds:
        measured = {}
        for data in fixed.TOY_SETS:
            measured[data], curves_here = measure_data_set(context, data, seed)
            rows += [row.cells(seed, data) for row in measured[data]]
            if seed == context.seeds[0]:
                curves[data] = curves_here
        outcomes.append(outcome(seed, measured))
    first, points = context.seeds[0], fixed.evaluation_size(context)
    setup = fixed.toy_setup(context, fixed.TOY_SETS[0], PENALISED[0], first)
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(depth=setup.depth, width=setup.width, batch=setup.batch_size, points=points,
                                 lr=fixed.CONVERGING_LR, convergence=fixed.convergence_text(setup)),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(Table(HEADERS, tuple(rows)),),
        figures=(_plot(curves, context), fixed.draw_convergence(context, 6, CRITICS, first)),
        notes=NOTES,
    )
