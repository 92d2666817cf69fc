"""Claim 12: on the Dirac-GAN, the GAN, WGAN and WGAN-GP circle the equilibrium; instance noise, R1 and R2 reach it.

Every method is wganlab's own objective (losses, penalties, clipping, instance noise) on a one-parameter
generator and a linear critic (claims/dirac_gan.py), with the official notebook's step size, start and
length. Only instance noise is random, so only its trajectory depends on the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from wganlab.claims.context import ClaimContext
from wganlab.claims.dirac_gan import Dynamics, jacobian_eigenvalues, simulate, vector_field
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.config import ObjectiveConfig
from wganlab.objectives.objective import build_objective
from wganlab.plotting import pyplot as plt

CONVERGES, CYCLES, OUTSIDE = "converges", "does not converge", "outside the rule"
CONVERGED_BELOW, NOT_CONVERGED_ABOVE, TAIL = 0.01, 0.5, 50

CLAIM = Claim(
    number=12,
    title="Dirac-GAN: which methods converge to the equilibrium",
    source="Mescheder, Geiger, Nowozin 2018, 'Which training methods for GANs do actually converge?' (ICML), "
    "Sec. 2-3 and Fig. 3; official notebook LMescheder/GAN_stability notebooks/DiracGAN.ipynb",
    expectation="On the Dirac-GAN (data delta_0, generator delta_theta, D(x) = psi x) the unregularised GAN, WGAN "
    "and WGAN-GP with a finite number of critic steps do not converge to the equilibrium (0, 0): the Jacobian of "
    "the unregularised field there has purely imaginary eigenvalues +-f'(0)i and the iterates circle. Instance "
    "noise and the zero-centred penalties R1 and R2 add a negative real part and converge.",
)
PROTOCOL = (
    "Real batch: the point 0; fake batch: the point theta; critic: x -> -psi x (an nn.Linear(1, 1) without bias; "
    "minus because the paper's D scores fakes high and wganlab's critics score real data high). Each method is a "
    "wganlab ObjectiveConfig through build_objective: the critic moves by wganlab's update_critic with SGD (lr "
    "0.2, so clipping acts after each step as in training), the generator by plain gradient descent (0.2) on "
    "objective.generator_phase. Update rule: alternating gradient descent as the notebook's trajectory_altgd (one "
    "generator step, then n_critic critic steps), start (1, 1), {steps} steps. Hyperparameters from the "
    "notebook's plot_configs: WGAN clip 1 (WGAN(1.)); WGAN-GP (gamma/2)(|psi| - 1)^2 with gamma 0.7 (WGAN_GP(0.7, "
    "1.); wganlab gp weight 0.35); instance noise std 0.7 on every critic input (GAN_InstNoise(0.7)), its "
    "expectation taken over {draws} seeded draws of real and fake noise per step (the notebook uses 1,000); R1/R2 "
    "(gamma/2)||grad D||^2 with gamma 0.3 and the critical gamma 1 = 2|f'(0)| (wganlab weight gamma/2); n_critic "
    "5 as the notebook's altgd5 cell. Jacobian at (0, 0): central differences (delta 1e-5) of the field v = "
    "(-dL_G/dtheta, -dL_D/dpsi) computed by autograd through the same objective, the same noise draws at every "
    "point."
)
RULE = (
    f"Per method: ratio = the largest distance sqrt(theta^2 + psi^2) over the last {TAIL} steps divided by "
    f"the initial distance sqrt(2). Converged if ratio <= {CONVERGED_BELOW}; not converged if ratio >= "
    f"{NOT_CONVERGED_ABOVE}; in between otherwise. Why: with eigenvalues of negative real part the iterates "
    "contract by |1 + h lambda| per step (R1 gamma 0.3: 0.975, about 1e-6 after 500 steps), far below 0.01; with "
    "purely imaginary eigenvalues |1 + h lambda| = 1 to first order and the iterates circle near their initial "
    "distance, far above 0.5; the maximum over a tail, not the last iterate, keeps an oscillating trajectory from "
    "passing by chance. Check per method: its class is its expected one (GAN, WGAN, WGAN-GP: not converged; "
    "instance noise, R1, R2: converged). Per seed: holds if every check passes, does not hold if none does, "
    "mixed otherwise. NS-GAN and NS-GAN + R1 are shown but are outside the rule (the claim is about the GAN of "
    "the paper's eq. 1), as are R3GAN's RpGAN + R1 + R2 and RpGAN + R1 (claim 15 is theirs)."
)
NOTES = (
    "Our alternating-GD trajectories agree with a NumPy port of the notebook's vector fields to 5 digits "
    "(dirac_gan.py reproduces trajectory_altgd and trajectory_simgd). In the Dirac-GAN the critic's gradient "
    "psi is the same at every x, so R1 and R2 are the same penalty and their trajectories coincide. WGAN-GP has "
    "no Jacobian at (0, 0): the penalty pulls |psi| to 1, so the psi-component of its field jumps from "
    "theta - 0.7 to theta + 0.7 across psi = 0 and (0, 0) is not a stationary point of any neighbourhood. The "
    "NS-GAN has the GAN's eigenvalues +-i/2 (no linear-rate convergence), but higher-order terms make it "
    "spiral in slowly under alternating GD (see the table). Under simultaneous GD (the notebook's "
    "trajectory_simgd; Dynamics(simultaneous=True)) the GAN spirals outwards. "
    "Only instance noise depends on the seed; the other trajectories are computed once. RpGAN (R3GAN, Huang et "
    "al. 2024): with the real point at 0, D(real) = 0, so its critic loss is the GAN's less log 2 and its "
    "generator loss the NS-GAN's; its Jacobian at (0, 0) is theirs, and R1 alone already gives it eigenvalues of "
    "negative real part: locally, RpGAN + R1 converges as RpGAN + R1 + R2 does (R1 + R2 here is twice R1, both "
    "being psi^2), and its trajectory is NS-GAN + R1's (their lines coincide in the distance figure). Where R3GAN "
    "finds R1 alone failing is away from the equilibrium, on real data: claim 15."
)


@dataclass(frozen=True)
class Method:
    label: str
    objective: ObjectiveConfig
    expected: str  # CONVERGES, CYCLES or OUTSIDE
    critic_steps: int = 1
    noisy: bool = False  # instance noise: many draws per step, seeded
    smooth: bool = True  # False: the field jumps at psi = 0, so it has no Jacobian there


def _gan(loss: str = "minimax", penalty: str = "none", weight: float = 0.0, noise: float = 0.0) -> ObjectiveConfig:
    return ObjectiveConfig(loss=loss, penalty=penalty, penalty_weight=weight, instance_noise_std=noise)


# The official notebook's plot_configs; a (gamma/2) ||grad||^2 penalty is wganlab's R1/R2 with weight gamma/2.
_CLIP = ObjectiveConfig(loss="wasserstein", penalty="none", constraint="clip", clip_value=1.0)
_GP = ObjectiveConfig(loss="wasserstein", penalty="gp", penalty_weight=0.35, penalty_target=1.0)
METHODS = (
    Method("GAN", _gan(), CYCLES),
    Method("WGAN, clip 1", _CLIP, CYCLES),
    Method("WGAN, clip 1, n_critic 5", _CLIP, CYCLES, critic_steps=5),
    Method("WGAN-GP, gamma 0.7", _GP, CYCLES, smooth=False),
    Method("WGAN-GP, gamma 0.7, n_critic 5", _GP, CYCLES, critic_steps=5, smooth=False),
    Method("instance noise, std 0.7", _gan(noise=0.7), CONVERGES, noisy=True),
    Method("R1, gamma 0.3", _gan(penalty="r1", weight=0.15), CONVERGES),
    Method("R1, gamma 1 (critical)", _gan(penalty="r1", weight=0.5), CONVERGES),
    Method("R2, gamma 0.3", _gan(penalty="r2", weight=0.15), CONVERGES),
    Method("NS-GAN", _gan("non-saturating"), OUTSIDE),
    Method("NS-GAN + R1, gamma 0.3", _gan("non-saturating", "r1", 0.15), OUTSIDE),
    Method("RpGAN + R1 + R2, gamma 0.3", _gan("rpgan", "r1+r2", 0.15), OUTSIDE),
    Method("RpGAN + R1, gamma 0.3", _gan("rpgan", "r1", 0.15), OUTSIDE),
)


def classify(ratio: float) -> str:
    if ratio <= CONVERGED_BELOW:
        return CONVERGES
    return CYCLES if ratio >= NOT_CONVERGED_ABOVE else "in between"


def tail_ratio(path: Tensor) -> float:
    """max over the last TAIL steps of sqrt(theta^2 + psi^2), over the initial distance."""
    distances = path.norm(dim=1)  # [steps + 1]
    return float(distances[-TAIL:].max() / distances[0])


def _trajectory(context: ClaimContext, method: Method, seed: int, dynamics: Dynamics) -> Tensor:
    seed = seed if method.noisy else 0  # the other methods are deterministic: one run serves every seed
    draws = dynamics.draws if method.noisy else 1
    run = Dynamics(steps=dynamics.steps, critic_steps=method.critic_steps, draws=draws)

    def compute() -> Tensor:
        return simulate(build_objective(method.objective), run, torch.Generator().manual_seed(seed))

    return context.memo(("claim12", method.label, seed, run), compute)


def _eigenvalues(method: Method, draws: int) -> str:
    if not method.smooth:
        return "none: v jumps at psi = 0"
    values = jacobian_eigenvalues(build_objective(method.objective), torch.Generator().manual_seed(0), draws)
    value = values[values.imag.argmax()]
    return f"{value.real:.3f} +- {abs(value.imag):.3f}i"


def _draw_trajectories(context: ClaimContext, paths: dict[str, Tensor], draws: int) -> Path:
    """One (theta, psi) panel per method: the field as arrows, the trajectory, its start in red (as the notebook)."""
    grid = torch.linspace(-2, 2, 9)
    figure, axes = plt.subplots(2, 7, figsize=(13, 4.6), sharex=True, sharey=True)
    for axis, method in zip(axes.flat, METHODS, strict=False):
        objective, rng = build_objective(method.objective), torch.Generator().manual_seed(0)
        arrows = [vector_field(objective, float(a), float(b), rng, min(draws, 4096)) for b in grid for a in grid]
        field = torch.stack(arrows).reshape(9, 9, 2)  # [psi, theta, component]
        axis.quiver(grid, grid, field[..., 0], field[..., 1], color="0.6", width=0.006)
        path = paths[method.label]
        axis.plot(path[:, 0], path[:, 1], "-", color="C0", lw=0.9)
        axis.plot(path[0, 0], path[0, 1], "o", color="C3", ms=4)
        axis.plot(0, 0, "k+", ms=6)
        axis.set_title(method.label, fontsize=7)
        axis.set_xlim(-2, 2)
        axis.set_ylim(-2, 2)
    axes.flat[-1].set_axis_off()
    for axis in axes[:, 0]:
        axis.set_ylabel("psi")
    for axis in axes[-1, :]:
        axis.set_xlabel("theta")
    figure.suptitle("Dirac-GAN: alternating gradient descent, h = 0.2, from (1, 1) (first seed)", fontsize=9)
    return context.save_figure(figure, 12, "trajectories")


def _draw_distances(context: ClaimContext, paths: dict[str, Tensor]) -> Path:
    figure, axis = plt.subplots(figsize=(8, 3.5))
    for method in METHODS:
        distances = paths[method.label].norm(dim=1).clamp_min(1e-12)  # [steps + 1]
        axis.semilogy(distances, lw=1, ls="--" if method.expected == OUTSIDE else "-", label=method.label)
    for threshold in (CONVERGED_BELOW, NOT_CONVERGED_ABOVE):
        axis.axhline(threshold * math.sqrt(2), color="k", lw=0.6, ls=":")
    axis.set_xlabel("generator step")
    axis.set_ylabel("distance to (0, 0)")
    axis.set_ylim(1e-8, 10)
    axis.legend(fontsize=6, ncol=2, loc="lower left")
    return context.save_figure(figure, 12, "distance")


def _table(seeds: tuple[int, ...], ratios: dict[int, dict[str, float]], finals: dict[str, float], draws: int) -> Table:
    rows = tuple(
        (
            method.label,
            method.expected,
            method.critic_steps,
            _eigenvalues(method, draws if method.noisy else 1),
            finals[method.label],
            *(ratios[seed][method.label] for seed in seeds),
            classify(ratios[seeds[0]][method.label]),
        )
        for method in METHODS
    )
    headers = ("method", "expected", "n_critic", "Jacobian eigenvalues at (0, 0)", "final / initial (first seed)")
    return Table((*headers, *(f"tail ratio, seed {seed}" for seed in seeds), "outcome (first seed)"), rows)


def _outcome(seed: int, ratios: dict[str, float]) -> SeedOutcome:
    ruled = [method for method in METHODS if method.expected != OUTSIDE]
    checks = [classify(ratios[method.label]) == method.expected for method in ruled]
    numbers = {
        "converging group: largest ratio": max(ratios[m.label] for m in ruled if m.expected == CONVERGES),
        "non-converging group: smallest ratio": min(ratios[m.label] for m in ruled if m.expected == CYCLES),
        "methods as expected": float(sum(checks)),
        "methods in the rule": float(len(checks)),
    }
    return SeedOutcome(seed, verdict_of(checks), numbers)


def run(context: ClaimContext) -> ClaimResult:
    dynamics = Dynamics(steps=context.size(500, 150), draws=context.size(65536, 1024))
    outcomes, ratios = [], {}
    for seed in context.seeds:
        paths = {method.label: _trajectory(context, method, seed, dynamics) for method in METHODS}
        ratios[seed] = {label: tail_ratio(path) for label, path in paths.items()}
        outcomes.append(_outcome(seed, ratios[seed]))
        if seed == context.seeds[0]:
            figures = (_draw_trajectories(context, paths, dynamics.draws), _draw_distances(context, paths))
            finals = {label: float(path[-1].norm() / path[0].norm()) for label, path in paths.items()}
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(steps=dynamics.steps, draws=dynamics.draws),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(_table(context.seeds, ratios, finals, dynamics.draws),),
        figures=figures,
        notes=NOTES,
    )
