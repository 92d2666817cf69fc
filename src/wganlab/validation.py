"""Validation of a resolved config: names exist, values are in range, combinations make sense.

Every failure is a `ConfigError` whose one-line message names the key and how to fix it.
"""

from __future__ import annotations

import re

from wganlab import registry
from wganlab.config import Config, ConfigError, choices

# Penalties on the gradient at individual points: BatchNorm in the critic would couple the samples.
PER_SAMPLE_PENALTIES = ("gp", "lp", "dragan", "r1", "r2")


def validate(config: Config) -> None:
    """Check names against the registry, ranges, and refuse combinations that make no sense."""
    _check_names(config)
    _check_ranges(config)
    _check_combinations(config)
    _check_device(config)


def _check_names(config: Config) -> None:
    named = [
        ("data.name", config.data.name, registry.DATASETS),
        ("model.arch", config.model.arch, registry.ARCHITECTURES),
        ("model.activation", config.model.activation, registry.ACTIVATIONS),
        ("objective.loss", config.objective.loss, registry.LOSSES),
        ("objective.penalty", config.objective.penalty, registry.PENALTIES),
        ("objective.constraint", config.objective.constraint, registry.CONSTRAINTS),
        ("optim.name", config.optim.name, registry.OPTIMIZERS),
        ("optim.lr_decay", config.optim.lr_decay, registry.LR_DECAYS),
        ("data.split", config.data.split, registry.SPLITS),
        ("model.generator_norm", config.model.generator_norm, registry.GENERATOR_NORMS),
        ("model.critic_norm", config.model.critic_norm, registry.CRITIC_NORMS),
        ("eval.extractor", config.eval.extractor, registry.EXTRACTORS),
    ]
    named += [("eval.metrics", metric, registry.IMAGE_METRICS) for metric in config.eval.metrics]
    for key, value, known in named:
        if value not in known:
            raise ConfigError(f"unknown {key} {value!r}; {choices(value, known)}")


def _check_ranges(config: Config) -> None:
    m, o, p, t, e = config.model, config.objective, config.optim, config.train, config.eval
    rules = [
        (m.latent_dim >= 1, "model.latent_dim must be >= 1"),
        (m.width >= 1, "model.width must be >= 1"),
        (m.depth >= 1, "model.depth must be >= 1"),
        (o.penalty_weight >= 0, "objective.penalty_weight (lambda) must be >= 0"),
        (o.penalty_target > 0, "objective.penalty_target must be > 0"),
        (o.clip_value > 0, "objective.clip_value (c) must be > 0"),
        (o.max_norm > 0, "objective.max_norm must be > 0"),
        (o.grad_clip_norm > 0, "objective.grad_clip_norm must be > 0"),
        (o.instance_noise_std >= 0, "objective.instance_noise_std must be >= 0"),
        (o.instance_noise_steps >= 0, "objective.instance_noise_steps must be >= 0"),
        (p.lr_generator > 0 and p.lr_critic > 0, "optim.lr_generator and optim.lr_critic must be > 0"),
        (all(0 <= b < 1 for b in p.betas), "optim.betas must both be in [0, 1)"),
        (t.steps >= 1, "train.steps must be >= 1"),
        (t.batch_size >= 1, "train.batch_size must be >= 1"),
        (t.critic_iters >= 1, "train.critic_iters (n_critic) must be >= 1"),
        (0 <= t.ema_decay < 1, "train.ema_decay must be in [0, 1)"),
        (t.log_every >= 1, "train.log_every must be >= 1"),
        (t.checkpoint_every >= 1, "train.checkpoint_every must be >= 1"),
        (t.keep_checkpoints >= 1, "train.keep_checkpoints must be >= 1"),
        (e.every >= 0, "eval.every must be >= 0 (0 = only at the end)"),
        (e.samples >= 1 and e.w1_samples >= 1, "eval.samples and eval.w1_samples must be >= 1"),
        (e.image_samples >= 2, "eval.image_samples must be >= 2"),
        (config.data.resize >= 0 and config.data.pad_to >= 0, "data.resize and data.pad_to must be >= 0"),
        (config.data.stack in (1, 3), "data.stack must be 1 or 3"),
        (config.data.limit >= 0, "data.limit must be >= 0 (0 = all images)"),
    ]
    for ok, message in rules:
        if not ok:
            raise ConfigError(message)


def _check_device(config: Config) -> None:
    import torch

    device = config.train.device
    if device == "cpu":
        return
    if not re.fullmatch(r"cuda(:\d+)?", device):
        raise ConfigError(f'train.device {device!r} is not a device; use "cpu", "cuda" or "cuda:N"')
    index = int(device.partition(":")[2] or 0)
    if not torch.cuda.is_available() or index >= torch.cuda.device_count():
        raise ConfigError(f'train.device {device!r} is not available on this machine; use train.device="cpu"')


def _check_combinations(config: Config) -> None:
    o = config.objective
    if o.loss == "wasserstein" and o.penalty == "none" and o.constraint == "none":
        raise ConfigError(
            "objective.loss 'wasserstein' needs a Lipschitz method, or the critic's scores grow without "
            "bound: set objective.penalty (e.g. gp) or objective.constraint (e.g. clip)"
        )
    if o.penalty != "none" and o.penalty_weight == 0:
        raise ConfigError(
            f"objective.penalty {o.penalty!r} has objective.penalty_weight 0, so it does nothing: "
            'set a positive weight or objective.penalty = "none"'
        )
    images = config.data.name in registry.IMAGE_DATASETS
    if config.model.arch != "mlp" and not images:
        raise ConfigError(
            f"model.arch {config.model.arch!r} is convolutional and needs image data; "
            f'data.name {config.data.name!r} is 2-D: use model.arch = "mlp"'
        )
    if config.data.stack != 1 and not images:
        raise ConfigError("data.stack applies to image data only")
    if config.data.limit != 0 and not images:
        raise ConfigError("data.limit applies to image data only (2-D data sets are sampled afresh every batch)")
    if config.model.critic_norm == "batch" and o.penalty in PER_SAMPLE_PENALTIES:
        raise ConfigError(
            f"model.critic_norm 'batch' mixes samples, so the per-sample gradient penalty {o.penalty!r} is "
            'no longer per sample (WGAN-GP Sec. 4): use model.critic_norm = "layer" or "none"'
        )
    if o.instance_noise_steps > 0 and o.instance_noise_std == 0:
        raise ConfigError("objective.instance_noise_steps is set but objective.instance_noise_std is 0")
