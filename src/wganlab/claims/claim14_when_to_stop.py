"""Claim 14: the critic's estimate tells when to stop (the user threads: "When should I stop WGAN training?")."""

from __future__ import annotations

import math
from pathlib import Path

from wganlab.claims.context import ClaimContext
from wganlab.claims.gan_vs_wgan import paired_run
from wganlab.claims.gan_vs_wgan import protocol as paired_protocol
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.stopping import NOISE_MULTIPLE, StoppingReport, stopping_report
from wganlab.diagnostics.tracking import estimates_at_evaluations
from wganlab.plotting import pyplot as plt
from wganlab.runlogs import RunLogs

TOYS = ("8gaussians", "grid")  # the WGAN-GP runs claims 8 and 11 train (shared, paid once)
DIGITS = "stacked digits"

CLAIM = Claim(
    number=14,
    title="the critic's estimate tells when to stop",
    source="the user threads this project started from (seeds: 'When should I stop WGAN training?', 'does the "
    "critic loss track sample quality?'); WGAN (Arjovsky et al. 2017), Sec. 4.2 and Fig. 3",
    expectation="A WGAN critic's estimate approximates W1 to the data, so its curve should level off when the "
    "samples stop improving: a user watching only the loss would stop at the right time.",
)
RULE = (
    "On each run the plateau rule of diagnostics/stopping.py (the one `train.stop_on_plateau` applies) is run "
    "on the critic's estimate (the mean logged estimate between evaluations) and, in hindsight, judged by the "
    "quality metric: the estimate *tells* when its rule fires at a step where stopping lost nothing measurable "
    f"(the window of evaluations ending there is within {NOISE_MULTIPLE:g} standard errors of the best window "
    "after it), or when it never fires on a run whose quality improved to its last evaluation. Three checks per "
    "seed (the two toy runs and stacked digits); holds if all pass, does not hold if none does, mixed otherwise."
)
NOTES = (
    "The rule compares the mean of the last `patience` evaluations with the mean of as many before them, with "
    "the metric's noise measured from the run's successive differences (README, 'When to stop'). Its cost is "
    "judged within the run's own length: a run that would have improved further after its last step cannot "
    "show it. The table also gives the same rule applied to the quality metric itself (what "
    "`train.stop_on_plateau` would have done), and its cost. An estimate that levels off late costs steps but no "
    "quality, and counts as telling: compare its step with 'safe to stop at'."
)
HEADERS = ("seed", "run", "evaluations", "best at", "safe to stop at (hindsight)", "quality rule fires at",
           "its cost (s.e.)", "estimate levels off at", "its cost (s.e.)", "estimate tells")


def _digits(context: ClaimContext, seed: int) -> RunLogs:
    """A short stacked-digits WGAN-GP (the `digits` recipe at a CPU size), evaluated often by FID."""
    return context.train("digits", {
        "model.width": context.size(16, 8),
        "train.steps": context.size(3000, 60),
        "train.seed": seed,
        "train.checkpoint_every": context.size(3000, 60),
        "optim.lr_decay": "none",  # a decay to zero would level everything off by itself
        "eval.every": context.size(150, 10),
        "eval.image_samples": context.size(1000, 100),
        "eval.metrics": ["fid", "modes"],
        "eval.figures": False,
        "eval.diagnostics": False,
    })


def _tells(report: StoppingReport) -> bool:
    if report.estimate is not None:
        return report.estimate_told
    return report.safe_step >= report.final_step  # never levelled off, and quality never stopped improving


def _cell(value: int | None) -> str | int:
    return "never" if value is None else value


def run(context: ClaimContext) -> ClaimResult:
    patience = context.size(4, 2)
    outcomes, rows, shown = [], [], {}
    for seed in context.seeds:
        runs = {f"WGAN-GP {data}": paired_run(context, "WGAN-GP", data, seed) for data in TOYS}
        runs[f"WGAN-GP {DIGITS}"] = _digits(context, seed)
        checks, numbers = {}, {}
        for label, logs in runs.items():
            report = stopping_report(logs.stats, logs.metrics, patience)
            if report is None:
                raise RuntimeError(f"{label}: too few evaluations for windows of {patience}")
            tells = _tells(report)
            checks[f"the estimate tells on {label}"] = tells
            numbers[f"{label} estimate tells"] = float(tells)
            numbers[f"{label} estimate cost"] = report.estimate_cost
            quality_at = report.quality.detected_at if report.quality else None
            estimate_at = report.estimate.detected_at if report.estimate else None
            rows.append((seed, label, report.evaluations, report.best_step, report.safe_step, _cell(quality_at),
                         report.quality_cost, _cell(estimate_at), report.estimate_cost, "yes" if tells else "no"))
            shown.setdefault(label, (logs, report))
        outcomes.append(SeedOutcome(seed, verdict_of(checks), numbers, checks))
    return ClaimResult(
        CLAIM,
        protocol=_protocol(context, patience),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(Table(HEADERS, tuple(rows)),),
        figures=(_draw(context, shown),),
        notes=NOTES,
    )


def _protocol(context: ClaimContext, patience: int) -> str:
    return (
        f"Toys: the WGAN-GP runs of claims 8 and 11 on {' and '.join(TOYS)} ({paired_protocol(context)}). Stacked "
        f"digits: the `digits` recipe (WGAN-GP lambda 10, n_critic 2, Adam 3e-4, EMA 0.999) with width "
        f"{context.size(16, 8)}, {context.size(3000, 60)} generator steps at a constant learning rate, FID "
        f"(digits-classifier features) of {context.size(1000, 100)} generated images every "
        f"{context.size(150, 10)} steps. Windows of {patience} evaluations."
    )


def _draw(context: ClaimContext, shown: dict[str, tuple[RunLogs, StoppingReport]]) -> Path:
    """Per run (first seed): quality and the critic's estimate against steps, with where each rule fired."""
    figure, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 3.4), dpi=90)
    for axis, (label, (logs, report)) in zip(axes, shown.items(), strict=True):
        steps, estimates, quality = estimates_at_evaluations(logs.stats, logs.metrics, report.metric)
        axis.plot(steps, quality, "o-", ms=3, color="tab:orange", label=report.metric)
        axis.set_ylabel(f"{report.metric} (lower is better)", color="tab:orange", fontsize=8)
        axis.axvline(report.safe_step, color="black", lw=1.2, label=f"safe to stop ({report.safe_step})")
        if report.quality is not None:
            axis.axvline(report.quality.detected_at, color="tab:orange", ls="--", lw=1,
                         label=f"quality rule ({report.quality.detected_at})")
        twin = axis.twinx()
        twin.plot(steps, estimates, "s-", ms=2, color="tab:blue", lw=1)
        twin.set_ylabel("critic estimate", color="tab:blue", fontsize=8)
        if report.estimate is not None:
            cost = report.estimate_cost
            axis.axvline(report.estimate.detected_at, color="tab:blue", ls=":", lw=1.4,
                         label=f"estimate levels off ({report.estimate.detected_at}; cost "
                               f"{'-' if math.isnan(cost) else f'{cost:.1f}'} s.e.)")
        axis.set_xlabel("generator step", fontsize=8)
        axis.set_title(label, fontsize=9)
        axis.legend(fontsize=6, loc="upper right")
    return context.save_figure(figure, 14, "when-to-stop")
