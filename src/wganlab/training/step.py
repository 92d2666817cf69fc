"""One training step, as one reads it: the run's state, then `train_step` (n_critic critic updates, one generator
update), then the two updates, then the EMA. The loss is the objective's (objectives/objective.py: the critic's
phase with its penalty, the generator's phase); this module only runs it.

    train_step -> critic_step -> update_critic -> Objective.critic_phase -> penalty -> squared_gradient_norms
               -> generator_step -> Objective.generator_phase -> update_ema

Each update: the forward passes (penalty included) under `autocast`; the backward pass of the loss as the
network's gradient scaler scales it (a pass-through but under fp16); the gradients averaged over a distributed
run's ranks (`sync`) and unscaled; the constraint's hooks around the optimiser's step, which the scaler skips
when a scaled gradient overflowed (fp16 only; the step's statistics then say `amp/..._skipped` = 1). Each
returns detached scalars keyed `group/name`.

Three things the objective needs are not its arguments but the step's context, all set in the one `with` block of
`train_step` (see there): the rank's share of the batch, the member axis of a sweep, and the fp16 loss scale.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from wganlab import sharding, stacking
from wganlab.config import Config
from wganlab.data.datasets import Dataset, data_shape
from wganlab.objectives.conditional import UNLABELLED, Labels
from wganlab.objectives.objective import Objective
from wganlab.objectives.penalties import full_precision, scaled_input_gradients
from wganlab.training.distributed import SOLO, Team
from wganlab.training.evaluation import Evaluator
from wganlab.training.labels import LabelSampler
from wganlab.training.probing import Prober


@dataclass
class TrainState:
    """Everything a training run holds between steps, in one dataclass; behaviour lives in functions."""

    generator: nn.Module
    critic: nn.Module
    generator_ema: nn.Module | None  # exponential moving average of the generator's weights, if enabled
    generator_optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    generator_scheduler: torch.optim.lr_scheduler.LRScheduler
    critic_scheduler: torch.optim.lr_scheduler.LRScheduler
    rng: torch.Generator  # latents, interpolation weights, instance noise
    data_rng: torch.Generator  # real batches
    step: int = 0  # generator steps done
    train_seconds: float = 0.0  # wall time spent in training steps over the whole run, across resumes
    lr_scale: float = 1.0  # the learning rates' factor after non-finite rollbacks (train.on_nonfinite)
    rollbacks: int = 0  # rollbacks so far
    # float16 loss scaling (train.precision = "fp16"); disabled scalers pass everything through
    critic_scaler: torch.amp.GradScaler = field(default_factory=lambda: torch.amp.GradScaler(enabled=False))
    generator_scaler: torch.amp.GradScaler = field(default_factory=lambda: torch.amp.GradScaler(enabled=False))

    @property
    def sampler(self) -> nn.Module:
        """The generator to evaluate: the EMA copy when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator


Autocast = Callable[[], AbstractContextManager[Any]]  # the forward passes' precision (build.autocast_for)
GradientSync = Callable[[nn.Module], None]  # averages a network's gradients over a distributed run's ranks
Forward = Callable[[Tensor], Tensor]


def _alone(network: nn.Module) -> None:
    """One process: the gradients are already the batch's."""


@dataclass(frozen=True)
class Execution:
    """How the updates run, besides what they compute: the forward passes' precision, the averaging of gradients
    over a distributed run's ranks, and compiled forwards of the networks (None: call the module itself)."""

    autocast: Autocast = nullcontext
    sync: GradientSync = _alone
    generator: Forward | None = None  # torch.compile'd state.generator (train.compile)
    critic: Forward | None = None  # torch.compile'd state.critic; never under a gradient penalty
    memory_format: torch.memory_format = torch.contiguous_format  # the real batches' layout (build.memory_format)


PLAIN = Execution()


@dataclass(frozen=True)
class Run:
    """What the step and the loop need besides the state: the data, the objective and the config (build.py)."""

    config: Config
    dataset: Dataset
    objective: Objective
    evaluator: Evaluator
    prober: Prober | None  # the diagnostic probe per evaluation; None when eval.diagnostics is off
    execution: Execution = PLAIN  # precision, gradient averaging, compiled forwards (train.precision, .compile)
    team: Team = SOLO  # the processes of a distributed run (torchrun); one process alone by default
    notes: tuple[str, ...] = ()  # one line each, for the user: what a choice could not do (train.compile)
    said: tuple[str, ...] = ()  # one line each, said at start: what "auto" became and why (build.resolved)
    members: int = 0  # the runs a sweep trains as one (stack.py): its tensors are [K, N, ...]; 0 for one run
    labels: LabelSampler | None = None  # a class-conditional run's generated labels (model.conditioning); None: none

    @property
    def shape(self) -> tuple[int, ...]:
        """One sample's shape: (2,) for toy data, (C, H, W) for images (a single run's; not a sweep's stack)."""
        return data_shape(self.dataset)


WARMUP_ITERS = 100
WARMUP_STEPS = 25
WARMUP_EVERY = 500


def critic_iters_at(step: int, critic_iters: int, warmup: bool) -> int:
    """n_critic at generator step `step` (0-based).

    With `warmup`, the WGAN code's schedule: 100 iterations for the first 25 generator steps and every
    500th, so the critic is near optimal before the generator moves (Arjovsky et al. 2017, Algorithm 1 code).
    """
    if warmup and (step < WARMUP_STEPS or step % WARMUP_EVERY == 0):
        return WARMUP_ITERS
    return critic_iters


def train_step(run: Run, state: TrainState) -> dict[str, Tensor]:
    """n_critic critic updates, each on a fresh real batch, then one generator update, then the schedules' step.

    A conditional run's labels: each critic update generates its fakes for its real batch's labels (as the WGAN-GP
    CIFAR-10 code does), so the two batches hold the same classes and a per-class offset of the critic's scores
    cancels in its loss (with labels drawn apart it would random-walk with the batches' class counts, which no
    gradient penalty sees); the generator update's labels are drawn by train.label_sampling after its latents
    (training/labels.py)."""
    train, team = run.config.train, run.team
    latent_dim, device = run.config.model.latent_dim, state.rng.device
    dtype = next(state.generator.parameters()).dtype  # float32, unless a test runs the networks in float64
    batch = train.batch_size // team.world
    generator_batch = (train.generator_batch_size or train.batch_size) // team.world
    # The step's context, set here and nowhere else; the objective and its penalties read it where they draw or
    # reduce. Outside this block (evaluation, diagnostics, the claims' own loops) each is the plain case.
    # - sharding.sharded: the rank's share. A distributed run's batch sizes are global; each draw (latents, real
    #   rows, interpolation weights, noise) is made for the global batch and this rank keeps its rows (sharding.py).
    # - stacking.stacked: the member axis. A sweep's tensors are [K, N, ...]: losses reduce over axis 1 (stacking.py).
    # - scaled_input_gradients: the critic's fp16 loss scale, read by a gradient penalty when it takes its input
    #   gradient, so that backward stays in float16's range (penalties.py); None but under fp16.
    critic_scale = (lambda: loss_scale(state.critic_scaler, device)) if state.critic_scaler.is_enabled() else None
    with (sharding.sharded(team.shard), stacking.stacked(run.members), scaled_input_gradients(critic_scale)):
        iters = critic_iters_at(state.step, train.critic_iters, train.critic_warmup)
        for index in range(iters):
            real, real_labels = real_batch(run, batch, state.data_rng)
            latents = sharding.randn((batch, latent_dim), state.rng, device, dtype)
            labels = Labels(real_labels, real_labels)  # no labels (None, None) for an unconditional run
            # the step's statistics are the last critic update's: the others' are not built
            stats = critic_step(state, run.objective, real, latents, run.execution, labels, index == iters - 1)
        latents = sharding.randn((generator_batch, latent_dim), state.rng, device, dtype)
        labels = UNLABELLED if run.labels is None else Labels(real_labels, run.labels.draw(generator_batch, state.rng))
        stats |= generator_step(state, run.objective, real, latents, train.ema_decay, run.execution, labels)
    state.generator_scheduler.step()
    state.critic_scheduler.step()
    return stats


def real_batch(run: Run, batch: int, rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """A real batch from `rng` in the run's memory layout, with its labels when the run is conditional (else None)."""
    real, labels = (run.dataset.sample(batch, rng), None) if run.labels is None else \
        run.dataset.sample_with_labels(batch, rng)
    layout = run.execution.memory_format  # channels_last: single runs' [N, C, H, W] batches (a sweep's are 5-D)
    return (real.contiguous(memory_format=layout) if real.dim() == 4 and layout != torch.contiguous_format
            else real), labels


def fakes(generator: Forward | nn.Module, latents: Tensor, labels: Tensor | None) -> Tensor:
    """generator(latents), or generator(latents, labels) for a conditional one."""
    return generator(latents) if labels is None else generator(latents, labels)


def _call(compiled: Forward | None, network: nn.Module) -> Forward:
    """The compiled forward if there is one, else the module (`or` would ask a compiled module for its length)."""
    return network if compiled is None else compiled


def critic_step(
    state: TrainState, objective: Objective, real: Tensor, latents: Tensor, execution: Execution = PLAIN,
    labels: Labels = UNLABELLED, measured: bool = True,
) -> dict[str, Tensor]:
    """Minimise the critic's loss on a real batch and detached fakes, inside the Lipschitz constraint; the loss's
    statistics only when `measured`."""
    with torch.no_grad(), execution.autocast():
        generator = _call(execution.generator, state.generator)
        fake = full_precision(fakes(generator, latents, labels.fake))  # [N, ...]; no generator graph
    return update_critic(
        state.critic, state.critic_optimizer, objective, real, fake, state.rng, state.step, execution,
        state.critic_scaler, labels, measured,
    )


_PASS_THROUGH = torch.amp.GradScaler(enabled=False)


def update_critic(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    objective: Objective,
    real: Tensor,
    fake: Tensor,
    rng: torch.Generator,
    step: int,
    execution: Execution = PLAIN,
    scaler: torch.amp.GradScaler = _PASS_THROUGH,
    labels: Labels = UNLABELLED,
    measured: bool = True,
) -> dict[str, Tensor]:
    """One optimiser step of the critic on given real and fake batches, with the constraint's hooks around it;
    the forward passes (penalty included) under autocast, the backward and the step outside it; the gradients
    averaged over the ranks and unscaled (`scaler`) before the constraint sees them. Its statistics (with the
    scaler's, under fp16) when `measured`, else none."""
    with execution.autocast():
        critic_call = _call(execution.critic, critic)
        loss, stats = objective.critic_phase(critic_call, real, fake, rng, step, labels, measured)
    amp = _scaled_step(loss, critic, optimizer, scaler, execution.sync, objective.constraint.before_step, measured)
    # WGAN clips after the update, so the critic that scores the next batch is inside the box.
    objective.constraint.after_step(critic)
    return stats | {f"amp/critic_{key}": value for key, value in amp.items()}  # both empty unless measured


def generator_step(
    state: TrainState, objective: Objective, real: Tensor, latents: Tensor, ema_decay: float,
    execution: Execution = PLAIN, labels: Labels = UNLABELLED,
) -> dict[str, Tensor]:
    """Minimise the generator's loss through a critic whose parameters are frozen for this step; `real` is the
    last critic update's real batch, which only a relativistic loss scores (objective.py `generator_phase`)."""
    state.critic.requires_grad_(False)  # no gradients for the critic's weights: they would be thrown away
    generator, critic = _call(execution.generator, state.generator), _call(execution.critic, state.critic)
    try:
        with execution.autocast():
            fake = fakes(generator, latents, labels.fake)
            loss, stats = objective.generator_phase(critic, real, fake, state.rng, state.step, labels)
        amp = _scaled_step(
            loss, state.generator, state.generator_optimizer, state.generator_scaler, execution.sync
        )
    finally:
        state.critic.requires_grad_(True)
    if state.generator_ema is not None:
        update_ema(state.generator_ema, state.generator, ema_decay)
    return stats | {f"amp/generator_{key}": value for key, value in amp.items()}


def _scaled_step(
    loss: Tensor, network: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
    sync: GradientSync, before_step: Callable[[nn.Module], None] | None = None, measured: bool = True,
) -> dict[str, Tensor]:
    """Backward, average, unscale, the constraint's pre-step hook, the (possibly skipped) step, the scale's update;
    a disabled scaler passes each of these through (its `step` is the optimiser's), and reports nothing; nor does
    an update that is not `measured`."""
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss.sum()).backward()  # a sweep's [K] losses: each member's gradient is its own loss's
    sync(network)
    scaler.unscale_(optimizer)
    if before_step is not None:
        before_step(network)
    scale = loss_scale(scaler, loss.device).clone() if scaler.is_enabled() and measured else None  # update() changes it
    scaler.step(optimizer)
    scaler.update()
    if scale is None:
        return {}
    skipped = (loss_scale(scaler, loss.device) < scale).float()  # the scaler backs off exactly when it skipped the step
    return {"scale": scale, "skipped": skipped}


def loss_scale(scaler: torch.amp.GradScaler, device: torch.device) -> Tensor:
    """An enabled scaler's current scale as the float32 tensor it keeps on `device`, not `get_scale()`'s Python
    float (a host synchronisation; PyTorch has no public accessor of the tensor). A scaler makes that tensor at its
    first `scale()` (a fresh or just restored one has none yet): scaling a one makes it, with no other effect."""
    if scaler._get_scale_async() is None:
        scaler.scale(torch.ones((), device=device))
    scale = scaler._get_scale_async()
    assert scale is not None
    return scale


def make_ema(model: nn.Module) -> nn.Module:
    """A frozen copy of `model` to average into (Karras et al. 2018; Yazici et al. 2019)."""
    ema = copy.deepcopy(model).eval()
    ema.requires_grad_(False)
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for parameters; buffers are copied."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1.0 - decay)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers(), strict=True):
        ema_buffer.copy_(buffer)
