"""Turn a config into the objects a run needs; every name is resolved here, once, after the config is validated:
the seeded networks, optimisers and random streams (`build`), and how the updates execute (`Execution`): the
forward passes' precision and the networks compiled where that is sound.

Precision (train.precision). Under "bf16" or "fp16" the networks' forward passes run under autocast (bfloat16
or float16, on the CPU or a GPU), while scores, losses, the penalties' gradient norms, gradients, optimiser
states and checkpoints stay float32.

bfloat16 keeps float32's exponent range, so it needs no loss scaling. float16 does: its gradients underflow
below 6e-8 and overflow above 65504, so each network's update goes through a torch.amp.GradScaler (one for the
critic, one for the generator, both checkpointed), and a gradient penalty scales the scores before its
`autograd.grad` and unscales the input gradients in float32 (penalties.scaled_input_gradients), as PyTorch's
AMP examples do for a gradient penalty. A step whose scaled gradients overflow is skipped by the scaler, which
then halves its scale: the non-finite guard counts those as the scaler's, not as a broken run, until the scale
falls below guard.MIN_SCALE.

Compilation (train.compile): the networks' forward passes compiled with torch.compile (TorchInductor), where
that is sound. The compiled networks (torch.compile's wrappers, sharing the modules' parameters) are used by the
training updates alone: the modules themselves, their state_dict keys and checkpoints, the EMA copy, evaluation
and the diagnostics (which take input gradients of the critic) stay eager. A gradient penalty differentiates the
critic's input gradient (a double backward), which torch.compile's AOTAutograd does not support; under such a
penalty the critic's updates stay eager too, and the run says so in one line. Compiled runs are not bitwise
equal to eager ones (the compiler fuses and reorders float operations); their first steps are slow while it
compiles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import torch
from torch import nn

from wganlab import config as configuration
from wganlab.config import Config, TrainConfig
from wganlab.data.augment import AUGMENTATIONS
from wganlab.data.datasets import Dataset, build_dataset, data_shape, is_image
from wganlab.data.images import ImageData
from wganlab.errors import ConfigError
from wganlab.machine import cpu_has_bfloat16_units
from wganlab.models.architectures import build_networks
from wganlab.models.conditional import CONDITIONINGS
from wganlab.objectives.objective import Objective, build_objective
from wganlab.objectives.penalties import PENALTIES
from wganlab.schedules import decay_horizon
from wganlab.training.distributed import SOLO, Team, synchronise_batchnorm
from wganlab.training.evaluation import build_evaluator, choose_extractor
from wganlab.training.labels import conditioned, label_sampler
from wganlab.training.memory import check_memory
from wganlab.training.optimizers import build_optimizer, build_scheduler
from wganlab.training.probing import build_prober
from wganlab.training.step import Autocast, Execution, GradientSync, Run, TrainState, make_ema
from wganlab.training.streams import DATA, LATENTS, training_seed
from wganlab.training.validation import concrete_device, validate


def seeded_networks(config: Config, shape: tuple[int, ...], objective: Objective) -> tuple[nn.Module, nn.Module]:
    """(generator, critic) on the training device: the same config always gives the same initial weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.train.seed)
        generator, critic = build_networks(config.model, shape)
        critic = objective.constraint.prepare(critic)  # spectral norm draws its power-iteration vector here
    device = torch.device(config.train.device)
    return generator.to(device), critic.to(device)


def resolved(config: Config) -> tuple[Config, tuple[str, ...]]:
    """`config` with what "auto" means on this machine written in, once, before anything is built (a run records
    what it ran with, and a resumed run keeps it): train.device, and for image data the extractor of its metrics,
    or no image metrics where none can be had; and one line for the user saying which extractor and why."""
    values: dict[str, object] = {"train.device": concrete_device(config.train.device)}
    if not is_image(config.data.name) or not config.eval.metrics:
        return configuration.with_values(config, values), ()
    choice = choose_extractor(config)
    if choice.name == "inception" and "accuracy" in config.eval.metrics:
        raise ConfigError("eval.metrics \"accuracy\" needs a classifier of the data's own classes as the extractor "
                          "(the digits' shipped one, or yours: `wganlab classifier train` and eval.extractor = "
                          "classifier); Inception's classes are ImageNet's: drop \"accuracy\" from eval.metrics")
    if choice.name is None and config.train.stop_on_plateau:
        raise ConfigError(f"train.stop_on_plateau judges image runs by FID, and no extractor can be had: "
                          f"{choice.reason}")
    if choice.name is None:
        values["eval.metrics"] = ()
        line = f"image metrics off: {choice.reason}"
    else:
        values["eval.extractor"] = choice.name
        line = f"image metrics {', '.join(config.eval.metrics)} on {choice.name} features ({choice.reason})"
    return configuration.with_values(config, values), (line,)


def build(config: Config, team: Team = SOLO, dataset: Dataset | None = None) -> tuple[Run, TrainState]:
    """Validate, then build seeded: the same config always gives the same initial weights and RNG streams (on
    every rank of a distributed `team`); `dataset` is the config's data when the caller has read it already.
    "auto" values are resolved first (`resolved`): the run's config holds what it runs with."""
    validate(config, team.world)
    config, said = resolved(config)
    seed = config.train.seed
    dataset = dataset if dataset is not None else build_dataset(config.data, seed)
    config = conditioned(config, dataset)  # a conditional run's class count, from its data
    tune_device(config.train)
    real_count = len(dataset) if isinstance(dataset, ImageData) else 0  # the real features an evaluation holds
    check_memory(config, data_shape(dataset), real_count)  # before the networks and buffers are allocated
    horizon = decay_horizon(config)
    objective = objective_of(config)
    generator, critic = seeded_networks(config, data_shape(dataset), objective)
    if team.world > 1 and config.train.sync_batchnorm:
        generator, critic = synchronise_batchnorm(generator), synchronise_batchnorm(critic)
    device = torch.device(config.train.device)
    layout = memory_format(device, data_shape(dataset))
    generator, critic = generator.to(memory_format=layout), critic.to(memory_format=layout)
    generator_optimizer = build_optimizer(generator.parameters(), config.optim.lr_generator, config.optim)
    critic_optimizer = build_optimizer(critic.parameters(), config.optim.lr_critic, config.optim)
    state = TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if config.train.ema_decay > 0 else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=build_scheduler(generator_optimizer, config.optim, horizon),
        critic_scheduler=build_scheduler(critic_optimizer, config.optim, horizon),
        rng=torch.Generator(device).manual_seed(training_seed(seed, LATENTS)),
        data_rng=torch.Generator(device).manual_seed(training_seed(seed, DATA)),
        critic_scaler=make_scaler(config.train),
        generator_scaler=make_scaler(config.train),
    )
    execution, notes = execution_for(generator, critic, config.objective.penalty, config.train.compile,
                                     autocast_for(config.train), team.average_gradients)
    execution = dataclasses.replace(execution, memory_format=layout)
    evaluator = build_evaluator(config, dataset, objective.estimate, team)
    prober = build_prober(config, dataset, objective) if config.eval.diagnostics else None
    run = Run(config=config, dataset=dataset, objective=objective, evaluator=evaluator, prober=prober,
              execution=execution, team=team, notes=(*precision_notes(config.train), *notes), said=said,
              labels=label_sampler(config, dataset))
    return run, state


def objective_of(config: Config) -> Objective:
    """The run's objective: its section's names resolved once, a decaying penalty weight over the run's horizon,
    the auxiliary classifier's cross-entropy terms under model.conditioning = "acgan", data.augment's transform of
    every critic input."""
    classifier = CONDITIONINGS[config.model.conditioning].auxiliary_classifier
    augment = AUGMENTATIONS.resolve(config.data.augment).make(config.data.augment_policy)
    return build_objective(config.objective, decay_horizon(config), classifier, augment)


def tune_device(config: TrainConfig) -> None:
    """On a GPU, the settings the field uses: cuDNN times its convolution algorithms once per shape and keeps the
    fastest (a run's shapes never change), and train.matmul_precision: "highest" keeps float32 matrix products and
    convolutions in float32 (PyTorch's own default lets cuDNN's convolutions use TensorFloat-32), "high" lets both
    use TensorFloat-32 (a 10-bit mantissa on Ampere and later: faster, results differ from float32's at about
    1e-3 relative). On the CPU nothing is set: float32 stays float32."""
    if torch.device(config.device).type != "cuda":
        return
    torch.backends.cudnn.benchmark = True
    torch.set_float32_matmul_precision(config.matmul_precision)
    torch.backends.cudnn.allow_tf32 = config.matmul_precision == "high"


def memory_format(device: torch.device, shape: tuple[int, ...]) -> torch.memory_format:
    """channels_last (NHWC) for images on a GPU, the layout its convolution kernels are fastest in (the networks'
    weights and the real batches; the generated ones follow); the default layout elsewhere."""
    return torch.channels_last if device.type == "cuda" and len(shape) == 3 else torch.contiguous_format


DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_for(config: TrainConfig) -> Autocast:
    """A factory of the context the forward passes run in: autocast to bfloat16 or float16, or nothing for fp32."""
    if config.precision == "fp32":
        return contextlib.nullcontext
    device_type = torch.device(config.device).type
    return functools.partial(torch.autocast, device_type=device_type, dtype=DTYPES[config.precision])


def make_scaler(config: TrainConfig) -> torch.amp.GradScaler:
    """A gradient scaler for one network's updates: active under fp16, else one that passes everything through
    (its `step` is the optimiser's own)."""
    return torch.amp.GradScaler(torch.device(config.device).type, enabled=config.precision == "fp16")


def precision_notes(config: TrainConfig) -> list[str]:
    """One line at start where the precision asked for is slow on this machine: bf16 on a CPU without bfloat16
    units, where it runs emulated."""
    if config.precision == "bf16" and torch.device(config.device).type == "cpu" and cpu_has_bfloat16_units() is False:
        return ['train.precision: "bf16" on a CPU without bfloat16 units (neither avx512_bf16 nor AMX) is emulated, '
                "about 30x slower than fp32 (measured on an AMD EPYC): fp32 is faster on this machine"]
    return []


def execution_for(
    generator: nn.Module, critic: nn.Module, penalty: str, compile: bool, autocast: Autocast, sync: GradientSync
) -> tuple[Execution, list[str]]:
    """How the updates run, with the generator compiled (`compile`), and the critic too unless `penalty` needs a
    double backward; and the notes to show the user (one line for a network left eager)."""
    if not compile:
        return Execution(autocast, sync), []
    compiled_generator = torch.compile(generator)
    if PENALTIES[penalty].double_backward:
        note = (f"train.compile: the critic runs uncompiled: its gradient penalty {penalty!r} needs a double "
                "backward, which torch.compile does not support (the generator is compiled)")
        return Execution(autocast, sync, generator=compiled_generator), [note]
    return Execution(autocast, sync, generator=compiled_generator, critic=torch.compile(critic)), []
