"""Turn a validated config into the objects a run needs; every name is resolved here, once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import Config, DataConfig, ModelConfig, OptimConfig
from wganlab.data.images import ImageData, load_images
from wganlab.data.stacked import StackedImages
from wganlab.data.toy import TOY_DATASETS, ToyDistribution, make_toy
from wganlab.errors import UserError
from wganlab.models.dcgan import DCGANCritic, DCGANGenerator
from wganlab.models.mlp import MLP
from wganlab.models.resnet import ResNetCritic, ResNetGenerator
from wganlab.objectives.objective import Objective, build_objective
from wganlab.training.ema import make_ema
from wganlab.training.evaluation import Evaluator, build_evaluator
from wganlab.training.probing import Prober, build_prober
from wganlab.training.state import TrainState

TOY_SHAPE = (2,)  # every toy distribution lives in the plane
Dataset = ToyDistribution | ImageData | StackedImages


@dataclass(frozen=True)
class Run:
    """What the loop needs besides the state: the data, the objective and the config."""

    config: Config
    dataset: Dataset
    objective: Objective
    evaluator: Evaluator
    prober: Prober | None  # the diagnostic probe per evaluation; None when eval.diagnostics is off


def build_dataset(config: DataConfig, seed: int) -> Dataset:
    """The toy distribution, or the image data read from local files (never downloaded)."""
    if config.name in TOY_DATASETS:
        return make_toy(config.name, seed=seed, theta=config.theta)
    images = load_images(
        config.name, config.root or None, split=config.split, resize=config.resize, pad_to=config.pad_to
    )
    if config.limit:
        if config.limit > len(images.images):
            count = len(images.images)
            raise UserError(f"data.limit {config.limit} is more than the {count} images of {images.source}")
        labels = None if images.labels is None else images.labels[: config.limit]
        images = ImageData(images.name, images.source, images.images[: config.limit].clone(), labels)
    return StackedImages(images, config.stack) if config.stack > 1 else images


def data_shape(dataset: Dataset) -> tuple[int, ...]:
    return TOY_SHAPE if isinstance(dataset, ToyDistribution) else dataset.shape


def build_networks(config: ModelConfig, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """Generator latent -> sample and critic sample -> score for data of `shape` ((2,) or (C, H, W))."""
    if config.arch == "mlp":
        size = math.prod(shape)
        generator = MLP(config.latent_dim, size, config.width, config.depth, config.activation)
        critic = MLP(size, 1, config.width, config.depth, config.activation)
        if len(shape) == 1:
            return generator, critic
        # Images through an MLP (the WGAN paper's MLP experiments): flatten in, tanh and unflatten out.
        return nn.Sequential(generator, nn.Tanh(), nn.Unflatten(1, shape)), nn.Sequential(nn.Flatten(), critic)
    if shape[1] != shape[2]:
        raise UserError(f"model.arch {config.arch!r} needs square images, got {shape[1]}x{shape[2]}; set data.resize")
    kinds = {"dcgan": (DCGANGenerator, DCGANCritic), "resnet": (ResNetGenerator, ResNetCritic)}
    generator_type, critic_type = kinds[config.arch]
    try:
        return (
            generator_type(config.latent_dim, shape, config.width, config.generator_norm),
            critic_type(shape, config.width, config.critic_norm),
        )
    except ValueError as error:
        raise UserError(f"model.arch {config.arch!r}: {error}; set data.resize or data.pad_to (e.g. 32)") from None


def build_optimizer(parameters: list[nn.Parameter], lr: float, config: OptimConfig) -> torch.optim.Optimizer:
    # fused: one kernel over all parameters instead of a Python loop of small ops per tensor.
    if config.name == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=config.betas, fused=True)
    return torch.optim.RMSprop(parameters, lr=lr, foreach=True)


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Stepped once per generator step (the critic's too, so both decay on the same clock)."""
    if config.lr_decay == "linear":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def build(config: Config) -> tuple[Run, TrainState]:
    """Seeded construction: the same config always gives the same initial weights and RNG streams."""
    seed = config.train.seed
    dataset = build_dataset(config.data, seed)
    objective = build_objective(config.objective)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator, critic = build_networks(config.model, data_shape(dataset))
        critic = objective.constraint.prepare(critic)  # spectral norm draws its power-iteration vector here
    device = torch.device(config.train.device)
    generator, critic = generator.to(device), critic.to(device)
    generator_optimizer = build_optimizer(list(generator.parameters()), config.optim.lr_generator, config.optim)
    critic_optimizer = build_optimizer(list(critic.parameters()), config.optim.lr_critic, config.optim)
    state = TrainState(
        generator=generator,
        critic=critic,
        generator_ema=make_ema(generator) if config.train.ema_decay > 0 else None,
        generator_optimizer=generator_optimizer,
        critic_optimizer=critic_optimizer,
        generator_scheduler=build_scheduler(generator_optimizer, config.optim, config.train.steps),
        critic_scheduler=build_scheduler(critic_optimizer, config.optim, config.train.steps),
        rng=torch.Generator(device).manual_seed(seed + 1),
        data_rng=torch.Generator(device).manual_seed(seed + 2),
    )
    evaluator = build_evaluator(config, dataset, objective.estimate)
    prober = build_prober(config, dataset, objective.loss.critic) if config.eval.diagnostics else None
    return Run(config=config, dataset=dataset, objective=objective, evaluator=evaluator, prober=prober), state
