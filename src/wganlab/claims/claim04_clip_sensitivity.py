"""Claim 4: WGAN is sensitive to the clip value c: too large is slow to bind, too small vanishes gradients.

Whole WGANs (weight clipping, RMSProp 5e-5, n_critic 5: the WGAN toy recipe) are trained by wganlab's own loop
for c a decade apart; the final critic is then read back from the run's checkpoint and diagnosed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from wganlab.claims.context import ClaimContext
from wganlab.claims.result import Claim, ClaimResult, Pooled, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.lipschitz import estimate_lipschitz, input_gradient_norms
from wganlab.diagnostics.weights import clip_saturation
from wganlab.plotting import pyplot as plt
from wganlab.runlogs import RunLogs
from wganlab.training.snapshot import load_snapshot

CLIP_VALUES = (1.0, 0.1, 0.01, 0.001)  # largest first
DATA, WIDTH, POINTS, LAST_EVALUATIONS = "8gaussians", 128, 2048, 3
FEW_AT_BOUND, VANISHED, WORSE = 0.1, 1e-3, 1.5
HEADERS = (
    "seed",
    "c",
    "final W1",
    "share at +/-c",
    "Lipschitz lower bound",
    "spectral upper bound",
    "median ||grad_x D|| on fakes",
    "generator gradient RMS",
)

CLAIM = Claim(
    number=4,
    title="WGAN is sensitive to the clip value c",
    source="Arjovsky, Chintala, Bottou 2017, 'Wasserstein GAN' (ICML), Sec. 3 ('Weight clipping is a clearly "
    "terrible way to enforce a Lipschitz constraint')",
    expectation="If c is large, the weights take a long time to reach the bound, so the critic is in effect "
    "unconstrained and hard to train to optimality; if c is small, the critic's gradients vanish. Sample "
    "quality is best at an intermediate c.",
)
PROTOCOL = (
    f"Whole WGANs by wganlab's training loop, preset wgan-toy (weight clipping, RMSProp 5e-5 for both "
    f"networks, n_critic 5, batch 256, latent 2, ReLU MLPs) on {DATA}, width {WIDTH} (3 hidden layers), "
    f"{{steps}} generator steps, c in {list(CLIP_VALUES)}, train.seed = seed; every (c, seed) run trained in one "
    f"sweep (`wganlab sweep`: the runs stacked, each equal to its separate run up to rounding). Sample quality: exact "
    f"W1 (POT) between {{w1_samples}} generated and real points every {{every}} steps; "
    f" final W1 = the mean of the last {LAST_EVALUATIONS}. The final critic, read back from the last "
    f"checkpoint, is diagnosed on {POINTS} fresh real and generated points: share of its parameters at +/-c, "
    "largest input-gradient norm (Lipschitz lower bound), product of spectral norms (upper bound), median "
    "input-gradient norm on generated points, and the root mean square of the generator loss's gradient per "
    "parameter on 256 latents (to set against RMSProp's epsilon, 1e-8)."
)
RULE = (
    f"Four checks: (1) the c with the lowest final W1 is neither the largest nor the smallest; (2) "
    f"both extremes are clearly worse: their final W1 >= {WORSE:g} x the best; (3) too large is slow to "
    f"enforce: at the largest c, <= {FEW_AT_BOUND:.0%} of the critic's parameters sit at +/-c at the end; (4) too "
    f"small vanishes gradients: at the smallest c, the median input-gradient norm on generated points is <= "
    f"{VANISHED:g} (the optimal critic has 1). Holds if all pass, does not hold if none does, mixed otherwise. "
    "The claim is about quality on average over seeds, so the verdict applies the checks once, to the median over "
    "seeds of each number (final W1 at each c, the share at the bound, the gradient norm); each seed's own checks "
    "are shown beside it. One seed alone says little here: an unconstrained critic (c = 1) is erratic and now and "
    "then lucky (see Notes)."
)
NOTES = (
    "CPU-sized: width 128 instead of 512 and a few thousand generator steps. A clipped critic is "
    "K-Lipschitz for a K that scales roughly as c^(layers), so gradient sizes across c differ by that scale. "
    "RMSProp divides each step by the running gradient size, which hides a uniformly small gradient, until the "
    "gradient reaching a generator parameter falls to the order of RMSProp's epsilon (1e-8): then the steps "
    "shrink (compare the generator gradient RMS column). With c = 1 no weight reaches the bound "
    "and the critic is in effect unconstrained; in our full-size runs (seeds 0-2) such runs ended anywhere "
    "from W1 0.2 to 1.7, erratic rather than uniformly poor, so checks (1) and (2) can fail on a lucky seed (seed 1 "
    "in issue 13's run): judged seed by seed, the verdict was mixed over seeds 0-2 and holds over seeds 3-5. The "
    "median over seeds is what the claim is about, and it does not turn on one lucky run."
)


@dataclass(frozen=True)
class Diagnosis:
    """One trained WGAN at one clip value: its sample quality and what its final critic looks like."""

    clip_value: float
    steps: list[int]
    w1: list[float]  # exact W1 of generated vs real points at each evaluation
    final_w1: float  # mean of the last LAST_EVALUATIONS evaluations
    saturation: float  # share of critic parameters at +/-c
    lipschitz_lower: float  # largest input-gradient norm on real, fake and interpolated points
    spectral_upper: float
    median_gradient: float  # median ||grad_x D|| on generated points: the signal the generator gets
    generator_gradient: float  # root mean square of d(-E D(G(z))) / d generator parameters, on one batch


def overrides(context: ClaimContext, clip_value: float, seed: int) -> dict[str, object]:
    steps, samples = context.size(2000, 40), context.size(1000, 200)
    return {
        "data.name": DATA,
        "model.width": WIDTH,
        "objective.clip_value": clip_value,
        "train.steps": steps,
        "train.seed": seed,
        "train.checkpoint_every": steps,
        "eval.every": steps // 8,
        "eval.samples": samples,
        "eval.w1_samples": samples,
        "eval.figures": False,
    }


def train(context: ClaimContext, clip_value: float, seed: int) -> RunLogs:
    return context.train("wgan-toy", overrides(context, clip_value, seed))


def generator_gradient_rms(generator: nn.Module, critic: nn.Module, latents: torch.Tensor) -> float:
    """sqrt(mean_i g_i^2), g = grad_theta -E D(G_theta(z)): the per-parameter gradient size the optimiser sees."""
    parameters = list(generator.parameters())
    gradients = torch.autograd.grad(-critic(generator(latents)).mean(), parameters)
    return torch.cat([gradient.reshape(-1) for gradient in gradients]).pow(2).mean().sqrt().item()


def diagnose(trained: RunLogs, clip_value: float, seed: int) -> Diagnosis:
    snapshot = load_snapshot(trained.folder)
    key = f"w1_{trained.config.eval.w1_samples}"
    rng = torch.Generator().manual_seed(seed)
    latents = torch.randn(POINTS, trained.config.model.latent_dim, generator=rng)
    with torch.no_grad():
        fake = snapshot.sampler(latents)  # [POINTS, 2]
    real = snapshot.dataset.sample(POINTS, rng)  # [POINTS, 2]
    lipschitz = estimate_lipschitz(snapshot.critic, real, fake, rng)
    w1 = [float(record[key]) for record in trained.metrics]
    return Diagnosis(
        clip_value=clip_value,
        steps=[int(record["step"]) for record in trained.metrics],
        w1=w1,
        final_w1=statistics.fmean(w1[-LAST_EVALUATIONS:]),
        saturation=clip_saturation(snapshot.critic, clip_value),
        lipschitz_lower=lipschitz.lower_bound,
        spectral_upper=lipschitz.spectral_bound,
        median_gradient=input_gradient_norms(snapshot.critic, fake).median().item(),
        generator_gradient=generator_gradient_rms(snapshot.sampler, snapshot.critic, latents[:256]),
    )


def _judge(final_w1: list[float], saturation: float, gradient: float) -> tuple[dict[str, float], dict[str, bool]]:
    """RULE's numbers and checks from the final W1 at each of CLIP_VALUES, the share of parameters at the bound at
    the largest c and the median input-gradient norm at the smallest."""
    best = min(range(len(final_w1)), key=final_w1.__getitem__)
    largest, smallest = final_w1[0], final_w1[-1]
    checks = {
        "(1) the best c is in the middle": 0 < best < len(final_w1) - 1,
        "(2) the extremes are clearly worse": min(largest, smallest) >= WORSE * final_w1[best],
        "(3) few parameters at the largest c's bound": saturation <= FEW_AT_BOUND,
        "(4) gradients vanish at the smallest c": gradient <= VANISHED,
    }
    numbers = {
        "best c": CLIP_VALUES[best],
        "final W1 at the best c": final_w1[best],
        f"final W1 at c = {CLIP_VALUES[0]:g}": largest,
        f"final W1 at c = {CLIP_VALUES[-1]:g}": smallest,
        f"share of parameters at +/-c, c = {CLIP_VALUES[0]:g}": saturation,
        f"median ||grad_x D|| on fakes, c = {CLIP_VALUES[-1]:g}": gradient,
    }
    return numbers, checks


def _outcome(seed: int, diagnoses: list[Diagnosis]) -> SeedOutcome:
    """RULE's checks on one seed's runs."""
    numbers, checks = _judge([d.final_w1 for d in diagnoses], diagnoses[0].saturation, diagnoses[-1].median_gradient)
    return SeedOutcome(seed, verdict_of(checks), numbers, checks)


def _pooled(results: dict[int, list[Diagnosis]]) -> Pooled:
    """RULE's checks on the median over seeds of each number: the verdict."""
    runs = list(results.values())
    final_w1 = [statistics.median(diagnoses[i].final_w1 for diagnoses in runs) for i in range(len(CLIP_VALUES))]
    numbers, checks = _judge(final_w1, statistics.median(diagnoses[0].saturation for diagnoses in runs),
                             statistics.median(diagnoses[-1].median_gradient for diagnoses in runs))
    return Pooled(verdict_of(checks), {f"median {name}" if name != "best c" else name: value
                                       for name, value in numbers.items()}, checks)


def _figure(context: ClaimContext, diagnoses: list[Diagnosis]) -> Path:
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    for diagnosis in diagnoses:
        left.plot(diagnosis.steps, diagnosis.w1, "o-", ms=3, label=f"c = {diagnosis.clip_value:g}")
    left.set_xlabel("generator step")
    left.set_ylabel("exact W1 to the data")
    left.legend(fontsize=7)
    values = [diagnosis.clip_value for diagnosis in diagnoses]
    right.loglog(values, [d.spectral_upper for d in diagnoses], "o-", label="Lipschitz upper bound (spectral)")
    right.loglog(values, [d.median_gradient for d in diagnoses], "s-", label="median ||grad_x D|| on fakes")
    right.axhline(1.0, color="k", lw=0.6, ls=":")
    right.set_xlabel("clip value c")
    right.legend(fontsize=7, loc="upper left")
    twin = right.twinx()
    twin.semilogx(values, [d.saturation for d in diagnoses], "^--", color="C3", label="share at +/-c")
    twin.set_ylim(0, 1)
    twin.set_ylabel("share of parameters at +/-c", color="C3")
    return context.save_figure(figure, 4, "clip-values")


def run(context: ClaimContext) -> ClaimResult:
    # every (c, seed) run at once: one stacked run (a sweep), each member its separate run up to rounding
    context.train_many("wgan-toy", [overrides(context, c, seed) for seed in context.seeds for c in CLIP_VALUES])
    results = {seed: [diagnose(train(context, c, seed), c, seed) for c in CLIP_VALUES] for seed in context.seeds}
    rows = tuple(
        (seed, d.clip_value, d.final_w1, d.saturation, d.lipschitz_lower, d.spectral_upper, d.median_gradient,
         d.generator_gradient)
        for seed, diagnoses in results.items()
        for d in diagnoses
    )
    config = train(context, CLIP_VALUES[0], context.seeds[0]).config
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(steps=config.train.steps, w1_samples=config.eval.w1_samples, every=config.eval.every),
        rule=RULE,
        outcomes=tuple(_outcome(seed, diagnoses) for seed, diagnoses in results.items()),
        pooled=_pooled(results),
        tables=(Table(HEADERS, rows),),
        figures=(_figure(context, results[context.seeds[0]]),),
        notes=NOTES,
    )
