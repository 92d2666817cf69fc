"""Claim 11: on the 25-mode grid a GAN drops more modes than WGAN-GP (VEEGAN/PacGAN protocol)."""

from __future__ import annotations

from pathlib import Path

from wganlab.claims.context import ClaimContext
from wganlab.claims.gan_vs_wgan import METHODS, final_metric, metric_key, paired_run, protocol
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table
from wganlab.plotting import pyplot as plt

DATA = "grid"
MARGIN = 2  # modes: the GAN must capture at least this many fewer

CLAIM = Claim(
    number=11,
    title="a GAN collapses modes on the grid more than WGAN-GP",
    source="VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018) Table 1; GDPP Table 1 (REFERENCE.md §2)",
    expectation="On the 25-Gaussian grid the GAN captures fewer modes than WGAN-GP.",
)
PROTOCOL = f"; data {DATA}; modes, HQ % and reverse KL by the VEEGAN/PacGAN protocol ({{modes_key}}) at the last step."
RULE = f"Per seed: holds if the GAN captures at least {MARGIN} fewer modes than WGAN-GP, else does not hold."
NOTES = (
    "CPU-sized: shorter runs than the 15,000-step benchmark in docs/benchmarks.md, where the same "
    "comparison (3 seeds, 15,000 steps) gave WGAN-GP 25, 25, 25 and the GAN 17, 13, 15 modes."
)


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows = [], []
    for seed in context.seeds:
        finals = {}
        for method in METHODS:
            trained = paired_run(context, method, DATA, seed)
            finals[method] = {p: final_metric(trained, p) for p in ("modes_", "hq_percent_", "reverse_kl_")}
        wgan, gan = finals["WGAN-GP"]["modes_"], finals["GAN"]["modes_"]
        verdict = "holds" if gan <= wgan - MARGIN else "does not hold"
        outcomes.append(SeedOutcome(seed, verdict, {"modes WGAN-GP": wgan, "modes GAN": gan}))
        for method, values in finals.items():
            rows.append((seed, method, values["modes_"], values["hq_percent_"], values["reverse_kl_"]))
    modes_key = metric_key(paired_run(context, "GAN", DATA, context.seeds[0]), "modes_")
    return ClaimResult(
        CLAIM,
        protocol=protocol(context) + PROTOCOL.format(modes_key=modes_key),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(Table(("seed", "method", "modes", "HQ %", "reverse KL"), tuple(rows)),),
        figures=(_draw(context, rows),),
        notes=NOTES,
    )


def _draw(context: ClaimContext, rows: list[tuple]) -> Path:
    figure, axis = plt.subplots(figsize=(5, 3.2), dpi=90)
    for offset, method in enumerate(METHODS):
        values = [(seed, modes) for seed, m, modes, *_ in rows if m == method]
        axis.bar([seed + 0.4 * offset for seed, _ in values], [v for _, v in values], width=0.4, label=method)
    axis.axhline(25, color="grey", ls=":", lw=1)
    axis.set_xlabel("seed")
    axis.set_ylabel("modes captured (of 25)")
    axis.legend(fontsize=7)
    return context.save_figure(figure, 11, "modes")
