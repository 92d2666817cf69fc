"""Claim 13: over random architectures, WGAN-GP succeeds more often than a GAN (WGAN-GP paper, Table 2).

The paper trains 200 random DCGAN-like generator/critic pairs on CIFAR-10 with each objective and counts
those that reach Inception Score >= 5. Here: random MLP pairs on the 8gaussians toy, a success being the
VEEGAN/PacGAN analogue of a fair Inception Score: most of the modes present.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wganlab.claims.context import ClaimContext
from wganlab.claims.gan_vs_wgan import METHODS, final_metric
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, Verdict
from wganlab.models.mlp import ACTIVATIONS
from wganlab.plotting import pyplot as plt

DATA, TOTAL_MODES = "8gaussians", 8
MIN_MODES, MARGIN = 7, 0.2
LADDER = (2, 4, 6, 7, 8)  # modes thresholds reported beside the rule's, as the paper's Table 2 reports several IS
HQ_BAR = 50.0  # the first rule's HQ % bar, reported only (see the notes)
DEPTHS, WIDTHS, LATENT_DIMS = (1, 2, 3, 4), (32, 64, 128), (2, 8, 32)
ARCHITECTURES, STEPS = 18, 1500  # full size: sized to the claim's time budget
Row = tuple["Architecture", dict[str, "Outcome"]]  # an architecture and each method's outcome on it

CLAIM = Claim(
    number=13,
    title="WGAN-GP succeeds on more random architectures than a GAN",
    source="Gulrajani et al. 2017, 'Improved Training of Wasserstein GANs', Sec. 5.2 and Table 2",
    expectation="Over 200 random generator/critic architectures on CIFAR-10, WGAN-GP reaches Inception Score >= 5 "
    "on 189 (94.5 %) and the standard GAN on 42 (21 %): WGAN-GP trains with far more architectures.",
)
PROTOCOL = (
    f"Per seed, {{count}} random MLP architectures (the same shape for generator and critic), each field "
    f"drawn uniformly and independently with Python's random.Random(seed): depth {DEPTHS}, width {WIDTHS}, "
    f"activation {tuple(sorted(ACTIVATIONS))}, latent dimension {LATENT_DIMS}. Each architecture is "
    "trained with WGAN-GP (preset `grid`: lambda 0.1, n_critic 2, Adam 5e-4 betas (0.5, 0.9), batch 256) and "
    "with the standard GAN (preset `gan-ns`: non-saturating loss, n_critic 1, Adam 2e-4 betas (0.5, 0.999), "
    f"batch 64), both with the learning rates decaying linearly to 0 over {{steps}} generator steps, train.seed = "
    f"seed, on {DATA} (8 modes at radius 1.414, sigma 0.0141). Measured once at the end: modes and HQ % on 2,500 "
    f"samples (VEEGAN/PacGAN protocol, HQ = within 3 sigma of a mode), exact W1 on {{w1_samples}} "
    "generated and real points."
)
RULE = (
    f"A run succeeds if it captures >= {MIN_MODES} of the {TOTAL_MODES} modes (a mode is captured when at "
    "least one of the 2,500 samples lies within 3 sigma of its centre): the analogue of IS >= 5, the paper's bar "
    "for a run that trains, read as 'nearly the whole distribution is there, at most one mode missing'. (The "
    "Inception Score is an effective number of recognisable classes, so a proportional reading of IS 5 of 10 "
    "classes would be 4 of 8 modes; the ladder table shows that bar too.) Per seed, with "
    f"success rates over the architectures: holds if WGAN-GP's rate exceeds the GAN's by >= {MARGIN}, does not "
    "hold if it is not higher, mixed in between."
)
NOTES = (
    "CPU-sized: a few dozen MLPs on a 2-D toy for a short budget instead of 200 DCGAN-like networks on "
    "CIFAR-10 for 100k+ steps; the paper also varied normalisation and went up to 20 layers, and its "
    "architectures differed between generator and critic. Widths stop at 128 (the paper's filter counts were 32 "
    "to 128) to keep the claim within its time budget. With a short budget, success also measures speed: "
    "WGAN-GP takes two critic steps per generator step and a larger batch, the GAN one. Change of rule, "
    f"disclosed: the rule was first written as modes >= {MIN_MODES} and HQ >= {HQ_BAR:g} %; a timing trial of "
    "4 architectures at this budget (seed 0; their mode counts were seen too: WGAN-GP 7 to 8, GAN 1 to 8) showed "
    "both methods far below the HQ bar (0.2 to 9 % HQ: sharp modes take "
    "thousands more annealed steps, docs/benchmarks.md), which would make every run fail, like the paper's "
    "IS >= 9 row where both methods score 0 of 200. The HQ part was dropped before the full run; the ladder "
    "table gives the counts at other mode thresholds and with the HQ bar, as the paper's Table 2 does for "
    "several IS thresholds."
)


@dataclass(frozen=True)
class Architecture:
    """One MLP shape, used for both the generator and the critic."""

    depth: int
    width: int
    activation: str
    latent_dim: int

    @property
    def label(self) -> str:
        return f"{self.depth}x{self.width} {self.activation}, z {self.latent_dim}"


@dataclass(frozen=True)
class Outcome:
    modes: float
    hq_percent: float
    w1: float

    @property
    def success(self) -> bool:
        return self.modes >= MIN_MODES


def sample_architectures(count: int, seed: int) -> list[Architecture]:
    """`count` architectures drawn uniformly and independently per field, a function of `seed` only."""
    rng = random.Random(seed)
    activations = sorted(ACTIVATIONS)
    return [
        Architecture(rng.choice(DEPTHS), rng.choice(WIDTHS), rng.choice(activations), rng.choice(LATENT_DIMS))
        for _ in range(count)
    ]


def _train(context: ClaimContext, preset: str, architecture: Architecture, seed: int, steps: int) -> Outcome:
    overrides: dict[str, Any] = {
        "data.name": DATA,
        "model.depth": architecture.depth,
        "model.width": architecture.width,
        "model.activation": architecture.activation,
        "model.latent_dim": architecture.latent_dim,
        "optim.lr_decay": "linear",  # the same schedule for both: a short run ends annealed
        "optim.decay_steps": steps,
        "train.steps": steps,
        "train.seed": seed,
        "train.checkpoint_every": steps,
        "eval.every": 0,
        "eval.samples": 2500,
        "eval.w1_samples": context.size(1000, 300),
        "eval.figures": False,
        "eval.diagnostics": False,
    }
    trained = context.train(preset, overrides)
    return Outcome(*(final_metric(trained, prefix) for prefix in ("modes_", "hq_percent_", "w1_")))


def _draw(context: ClaimContext, rows: list[Row]) -> Path:
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1, 1.6]})
    gan, wgan = ([row[1][m].w1 for row in rows] for m in ("GAN", "WGAN-GP"))
    left.loglog(gan, wgan, "o", ms=4, alpha=0.7)
    bounds = [min(gan + wgan) * 0.8, max(gan + wgan) * 1.2]
    left.plot(bounds, bounds, "k:", lw=0.8)
    left.set_xlabel("GAN: final W1")
    left.set_ylabel("WGAN-GP: final W1")
    left.set_title("one dot per architecture (below the line: WGAN-GP closer)", fontsize=7)
    for position, method in enumerate(("WGAN-GP", "GAN")):
        for index, (_, outcomes) in enumerate(rows):
            success = outcomes[method].success
            right.plot(index, position, "o", color="C2" if success else "C3", fillstyle="full" if success else "none")
    right.set_yticks([0, 1], ["WGAN-GP", "GAN"])
    right.set_ylim(-0.7, 1.7)
    right.set_xlabel("architecture (filled green: success)")
    right.set_title(f"success = at least {MIN_MODES} of {TOTAL_MODES} modes captured", fontsize=7)
    return context.save_figure(figure, 13, "robustness")


def _verdict(wgan_rate: float, gan_rate: float) -> Verdict:
    if wgan_rate - gan_rate >= MARGIN:
        return "holds"
    return "does not hold" if wgan_rate <= gan_rate else "mixed"


def run(context: ClaimContext) -> ClaimResult:
    count, steps = context.size(ARCHITECTURES, 2), context.size(STEPS, 40)
    outcomes, table_rows, pooled = [], [], []
    for seed in context.seeds:
        rows = [
            (architecture, {m: _train(context, preset, architecture, seed, steps) for m, preset in METHODS.items()})
            for architecture in sample_architectures(count, seed)
        ]
        pooled += rows
        wgan_rate, gan_rate = (sum(o[m].success for _, o in rows) / count for m in ("WGAN-GP", "GAN"))
        numbers = {"WGAN-GP success rate": wgan_rate, "GAN success rate": gan_rate, "architectures": float(count)}
        outcomes.append(SeedOutcome(seed, _verdict(wgan_rate, gan_rate), numbers))
        table_rows += [(seed, a.label, *(value for m in ("WGAN-GP", "GAN") for value in _cells(o[m]))) for a, o in rows]
    per_method = ("modes", "HQ %", "W1", "success")
    details = Table(
        ("seed", "architecture", *(f"{m}: {c}" for m in ("WGAN-GP", "GAN") for c in per_method)), tuple(table_rows)
    )
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(count=count, steps=steps, w1_samples=context.size(1000, 300)),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(_summary(pooled), _ladder(pooled), details),
        figures=(_draw(context, pooled),),
        notes=NOTES,
    )


def _cells(outcome: Outcome) -> tuple[float, float, float, str]:
    return outcome.modes, outcome.hq_percent, outcome.w1, "yes" if outcome.success else "no"


def _successes(rows: list[Row], method: str, modes: int, hq: float = 0.0) -> int:
    return sum(o[method].modes >= modes and o[method].hq_percent >= hq for _, o in rows)


def _summary(rows: list[Row]) -> Table:
    """The paper's Table 2 columns: which of the two methods succeeded, pooled over the seeds."""
    pairs = [(o["GAN"].success, o["WGAN-GP"].success) for _, o in rows]
    kinds = ((True, False), (False, True), (True, True), (False, False))
    headers = ("architectures", "only GAN succeeded", "only WGAN-GP succeeded", "both succeeded", "both failed")
    return Table(headers, ((len(rows), *(pairs.count(kind) for kind in kinds)),))


def _ladder(rows: list[Row]) -> Table:
    """Successes of each method at several bars, pooled over the seeds (the rule's bar marked)."""
    bars = [(f"modes >= {k}" + (" (the rule)" if k == MIN_MODES else ""), k, 0.0) for k in LADDER]
    bars.append((f"modes >= {MIN_MODES} and HQ >= {HQ_BAR:g} %", MIN_MODES, HQ_BAR))
    cells = tuple((name, _successes(rows, "WGAN-GP", k, hq), _successes(rows, "GAN", k, hq)) for name, k, hq in bars)
    return Table(("success bar", f"WGAN-GP (of {len(rows)})", f"GAN (of {len(rows)})"), cells)
