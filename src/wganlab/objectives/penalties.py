"""Gradient and score penalties on the critic, each a pure function of tensors and a generator.

Every penalty has the signature (critic, real, fake, rng, *, labels) -> scalar and is returned unweighted;
the caller multiplies by its weight. `real` and `fake` are treated as constants (detached), so
no generator graph leaks into the critic update. Gradient norms are per sample over all
non-batch dimensions, with 1e-12 inside the square root so a zero gradient gives no NaN. For a conditional critic
`labels` say which label each point is scored with (objectives/conditional.py: an interpolate keeps its real
sample's); unconditional runs leave them out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from wganlab import sharding, stacking
from wganlab.objectives.conditional import UNLABELLED, Labels
from wganlab.parts import Parts

Critic = Callable[[Tensor], Tensor]  # the objectives take any function from samples to raw scores
Penalty = Callable[..., Tensor]  # (critic, real, fake, rng, *, labels=UNLABELLED) -> scalar

_NORM_EPS = 1e-12


def full_precision(values: Tensor) -> Tensor:
    """bfloat16 or float16 values (a forward pass under autocast) as float32; float32 and float64 as they are."""
    return values.float() if values.dtype in (torch.bfloat16, torch.float16) else values


LossScale = Callable[[], float | Tensor]  # the current loss scale of the critic's fp16 gradient scaler (a tensor in
# training, read on the device: no host synchronisation)

_LOSS_SCALE: ContextVar[LossScale | None] = ContextVar("wganlab_loss_scale", default=None)


@contextlib.contextmanager
def scaled_input_gradients(loss_scale: LossScale | None) -> Iterator[None]:
    """Within this block (with a loss scale; None is no scaling) a penalty's input gradient is taken of its N
    scores times loss_scale() / N, and divided by that factor in float32: under float16 autocast its backward pass
    through the critic then carries the same magnitudes as the scaled backward of a batch-mean loss, the range
    the loss scaler keeps clear of underflow and overflow (PyTorch's AMP recipe for gradient penalties). The
    training step sets it, with its other context, in training/step.py `train_step`; the scale is read when the
    gradient is taken, so each critic update uses its scaler's scale of that moment."""
    token = _LOSS_SCALE.set(loss_scale)
    try:
        yield
    finally:
        _LOSS_SCALE.reset(token)


def current_loss_scale() -> float | Tensor | None:
    """The loss scale a penalty's input gradient is taken at now: the critic's scaler's, inside an fp16 training
    step's context (`scaled_input_gradients`); None elsewhere."""
    loss_scale = _LOSS_SCALE.get()
    return None if loss_scale is None else loss_scale()


def _per_sample_uniform(reference: Tensor, rng: sharding.Generator) -> Tensor:
    """U[0,1] of shape [N, 1, 1, ...] ([K, N, 1, ...] under a sweep), one draw per sample, broadcastable against
    `reference`."""
    shape = stacking.per_sample_shape(reference)
    return sharding.rand(shape, rng, reference.device, reference.dtype)  # a distributed rank's rows of the batch's


def squared_gradient_norms(critic: Critic, points: Tensor) -> Tensor:
    """[N] per-sample ||grad_x D(x)||^2 over all non-batch dims, differentiable (create_graph=True); [K, N] under a
    sweep, whose members are independent, so the gradient of their summed scores is each member's own."""
    with torch.enable_grad():
        points = points.detach().requires_grad_(True)  # [N, ...]
        scores = full_precision(critic(points))  # [N] or [N, 1]; float32 even under bf16 autocast
        if not scores.requires_grad:  # the critic ignores its input and has no parameters
            return torch.zeros(stacking.per_sample(points).shape[:-1], device=points.device, dtype=points.dtype)
        loss_scale = current_loss_scale()  # None but in an fp16 training step (set by training/step.py)
        factor = 1.0 if loss_scale is None else loss_scale / points.shape[stacking.batch_axis()]
        outputs = scores.sum() if loss_scale is None else scores.sum() * factor
        (grads,) = torch.autograd.grad(outputs, points, create_graph=True, allow_unused=True)
    if grads is None:  # the critic's output does not depend on its input
        grads = torch.zeros_like(points)
    grads = full_precision(grads) if loss_scale is None else full_precision(grads) / factor  # unscaled, float32
    return stacking.per_sample(grads).pow(2).sum(dim=-1)  # [N], the norm in float32 at least


def gradient_norms(critic: Critic, points: Tensor) -> Tensor:
    """[N] per-sample sqrt(||grad_x D(x)||^2 + 1e-12), differentiable w.r.t. the critic's parameters."""
    return (squared_gradient_norms(critic, points) + _NORM_EPS).sqrt()


def interpolate(real: Tensor, fake: Tensor, rng: sharding.Generator) -> Tensor:
    """x_hat = eps * real + (1 - eps) * fake, eps ~ U[0,1] per sample (Gulrajani et al. 2017, Alg. 1)."""
    real, fake = real.detach(), fake.detach()
    eps = _per_sample_uniform(real, rng)  # [N, 1, ...]
    return eps * real + (1.0 - eps) * fake  # [N, ...]


def two_sided_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, target: float = 1.0, *,
    labels: Labels = UNLABELLED,
) -> Tensor:
    """E[(||grad D(x_hat)|| - target)^2] on random interpolates (WGAN-GP, Gulrajani et al. 2017)."""
    norms = gradient_norms(labels.at_real(critic), interpolate(real, fake, rng))  # [N]
    return (norms - target).pow(2).mean(-1)


def one_sided_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, target: float = 1.0, *,
    labels: Labels = UNLABELLED,
) -> Tensor:
    """E[relu(||grad D(x_hat)|| - target)^2] on random interpolates (WGAN-LP, Petzka et al. 2018)."""
    norms = gradient_norms(labels.at_real(critic), interpolate(real, fake, rng))  # [N]
    return F.relu(norms - target).pow(2).mean(-1)


def r1_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """E_real[||grad D(x)||^2] (R1, Mescheder et al. 2018).

    No 1/2 factor: the paper's (gamma/2) R1 is this penalty with weight gamma/2.
    """
    return squared_gradient_norms(labels.at_real(critic), real).mean(-1)


def r2_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """E_fake[||grad D(x)||^2] (R2, Mescheder et al. 2018); no 1/2 factor, as for R1."""
    return squared_gradient_norms(labels.at_fake(critic), fake).mean(-1)


def _at_real_and_fake(critic: Critic, real: Tensor, fake: Tensor, labels: Labels) -> tuple[Tensor, Tensor]:
    """[N] squared input-gradient norms at the real points and [N] at the fake ones (each with its own label), from
    one forward and one double-backward pass over both batches (per sample, so the same numbers as two passes, up
    to rounding)."""
    axis = stacking.batch_axis()
    both = squared_gradient_norms(labels.at_both(critic), torch.cat([real, fake], dim=axis))
    return both[..., : real.shape[axis]], both[..., real.shape[axis]:]


def r1_r2_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """E_real[||grad D(x)||^2] + E_fake[||grad D(x)||^2]: R1 and R2 together, every step (R3GAN, Huang et al.
    2024, whose (gamma/2)(R1 + R2) is this penalty with weight gamma/2)."""
    on_real, on_fake = _at_real_and_fake(critic, real, fake, labels)
    return on_real.mean(-1) + on_fake.mean(-1)


def zero_centred_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """E[||grad D(x_hat)||^2] on random interpolates: the zero-centred GP (Thanh-Tung et al. 2019; GAN_stability's
    `wgangp0`), which pulls the gradient towards 0 rather than 1, no square root."""
    return squared_gradient_norms(labels.at_real(critic), interpolate(real, fake, rng)).mean(-1)


def max_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """max over the batch of ||grad D(x_hat)||^2 on random interpolates: the max-GP (Zhou et al. 2019, Lipschitz
    GANs; StudioGAN's `maxgp`). The maximum is the whole (global) batch's, one per member under a sweep."""
    return sharding.global_max(squared_gradient_norms(labels.at_real(critic), interpolate(real, fake, rng)))


WGAN_DIV_POWER = 6.0  # Wu et al. 2018's p: ||grad||^6; its k = 2 is the penalty's weight


def wgan_div_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """(E_real[||grad D(x)||^p] + E_fake[||grad D(x)||^p]) / 2 with p = 6: WGAN-div's term (Wu et al. 2018) taken
    on the real and the fake points, as its code does; with the published k = 2 as the weight it is the code's
    k/2 (mean real + mean fake). ||g||^6 is (||g||^2)^3: no square root, differentiable at 0."""
    on_real, on_fake = _at_real_and_fake(critic, real, fake, labels)
    half = WGAN_DIV_POWER / 2
    return 0.5 * (on_real.pow(half).mean(-1) + on_fake.pow(half).mean(-1))


def dragan_penalty(
    critic: Critic,
    real: Tensor,
    fake: Tensor,
    rng: sharding.Generator,
    target: float = 1.0,
    perturb_scale: float = 0.5,
    *,
    labels: Labels = UNLABELLED,
) -> Tensor:
    """E[(||grad D(x_hat)|| - target)^2] around the data (DRAGAN, Kodali et al. 2017, official code).

    x_p = x + perturb_scale * std(x) * u, u ~ U[0,1) elementwise, std over the whole real batch
    (population std, as numpy's in the official code); x_hat = x + alpha (x_p - x), alpha ~ U[0,1]
    per sample.
    """
    real = real.detach()  # [N, ...]
    noise = sharding.rand(stacking.member_shape(real), rng, real.device, real.dtype)
    perturbed = real + perturb_scale * sharding.global_std(real) * noise  # the std of the whole (global) batch
    alpha = _per_sample_uniform(real, rng)  # [N, 1, ...]
    points = real + alpha * (perturbed - real)
    return (gradient_norms(labels.at_real(critic), points) - target).pow(2).mean(-1)


def drift_penalty(
    critic: Critic, real: Tensor, fake: Tensor, rng: sharding.Generator, *, labels: Labels = UNLABELLED
) -> Tensor:
    """E[D(real)^2]: keeps critic scores near zero (epsilon-drift, Karras et al. 2018, PGGAN)."""
    scores = full_precision(labels.at_real(critic)(real.detach()))  # float32 even under bf16 autocast
    return stacking.scores(scores).pow(2).mean(-1)


@dataclass(frozen=True)
class PenaltyEntry:
    """A penalty as `objective.penalty` chooses it; `function` is None for "none"."""

    name: str
    description: str
    function: Callable[..., Tensor] | None
    per_sample: bool = False  # a gradient at individual points: BatchNorm in the critic would couple them
    takes_target: bool = False  # takes objective.penalty_target, the gradient norm it pulls towards

    @property
    def double_backward(self) -> bool:
        """Whether it differentiates the critic's input gradient (create_graph=True): every per-sample penalty
        is a gradient penalty."""
        return self.per_sample


PENALTIES: Parts[PenaltyEntry] = Parts("objective.penalty", [
    PenaltyEntry("none", "no penalty", None),
    PenaltyEntry(
        "gp",
        "WGAN-GP: E[(||grad D(x_hat)|| - 1)^2] on real-fake interpolates",
        two_sided_penalty,
        per_sample=True,
        takes_target=True,
    ),
    PenaltyEntry(
        "lp",
        "WGAN-LP: E[relu(||grad D(x_hat)|| - 1)^2], penalises only norms above 1",
        one_sided_penalty,
        per_sample=True,
        takes_target=True,
    ),
    PenaltyEntry(
        "r1",
        "R1: E[||grad D(x)||^2] on real data (weight gamma/2 for Mescheder's gamma)",
        r1_penalty,
        per_sample=True,
    ),
    PenaltyEntry("r2", "R2: E[||grad D(x)||^2] on generated data", r2_penalty, per_sample=True),
    PenaltyEntry(
        "r1+r2",
        "R1 + R2 every step (R3GAN): E_real[||grad D||^2] + E_fake[||grad D||^2], weight gamma/2",
        r1_r2_penalty,
        per_sample=True,
    ),
    PenaltyEntry(
        "zero-gp",
        "zero-centred GP: E[||grad D(x_hat)||^2] on real-fake interpolates (Thanh-Tung et al. 2019)",
        zero_centred_penalty,
        per_sample=True,
    ),
    PenaltyEntry(
        "max-gp",
        "max-GP: the batch's largest ||grad D(x_hat)||^2 on real-fake interpolates (Zhou et al. 2019, StudioGAN)",
        max_penalty,
        per_sample=True,
    ),
    PenaltyEntry(
        "wgan-div",
        "WGAN-div: (E_real + E_fake)[||grad D(x)||^6] / 2, weight k = 2 as published (Wu et al. 2018)",
        wgan_div_penalty,
        per_sample=True,
    ),
    PenaltyEntry(
        "dragan",
        "DRAGAN: E[(||grad D(x_hat)|| - 1)^2] on noisy perturbations of real data",
        dragan_penalty,
        per_sample=True,
        takes_target=True,
    ),
    PenaltyEntry("drift", "epsilon-drift (PGGAN): E[D(real)^2], keeps critic scores from drifting", drift_penalty),
])
