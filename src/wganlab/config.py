"""Typed, frozen run configuration: defaults <- preset <- TOML file <- --set overrides, checked once.

Downstream code only ever sees a `Config` whose keys, types and ranges are checked; raw dicts stop here. The raw
values (a TOML file, --set strings) are read, and each checked against its key's type, by `config_values.py`.
Which names exist (losses, penalties, data sets, ...) and which combinations of parts make sense is a
question for the parts themselves: `training/validation.py` asks it, and `training.build` calls it first.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wganlab.config_values import coerce, parse_overrides, read_toml, shown_value
from wganlab.errors import ConfigError
from wganlab.parts import suggest
from wganlab.presets import PRESETS


@dataclass(frozen=True)
class DataConfig:
    name: str = "grid"
    theta: float = 0.0  # parallel-lines only: the x position of the lines
    root: str = ""  # image data: the folder (or .npy/.npz file) to read; digits needs none. Kept absolute
    root_given: str = ""  # written by wganlab, a record for the user only: data.root as given, when it was relative
    split: str = "train"  # image data: "train" or "test"
    crop: bool = False  # image data: centre crop to the largest square first (CelebA's 218x178 -> 178x178)
    resize: int = 0  # image data: resize to resize x resize; 0 = keep
    resize_filter: str = "bilinear"  # nearest, box, bilinear, hamming, bicubic or lanczos (Pillow's, antialiased)
    pad_to: int = 0  # image data: pad with black to pad_to x pad_to (e.g. MNIST 28 -> 32); 0 = keep
    stack: int = 1  # image data: 3 = Stacked-MNIST style, three random grayscale images as RGB channels
    limit: int = 0  # image data: train on the first `limit` images only (WGAN-GP Sec. 5.6 used 1,000); 0 = all
    flip: bool = False  # image data: mirror each training image left-right with probability 1/2, per batch
    augment: str = "none"  # image data: "diffaug", DiffAugment on every critic input (data/augment.py)
    augment_policy: tuple[str, ...] = ("color", "translation", "cutout")  # diffaug's transforms, in order


@dataclass(frozen=True)
class ModelConfig:
    arch: str = "mlp"
    latent_dim: int = 2
    width: int = 512
    depth: int = 3  # mlp: hidden layers, in both networks
    activation: str = "relu"  # mlp only
    generator_norm: str = "batch"  # dcgan/resnet: "batch" or "none"
    critic_norm: str = "none"  # dcgan/resnet: "none", "layer" or "batch" (no batch under a per-sample penalty)
    conditioning: str = "none"  # class-conditional: "projection", "acgan" or "concat" (mlp); models/conditional.py
    classes: int = 0  # a conditional run's class count; 0 = the data's (1 + its largest label), written in at start


@dataclass(frozen=True)
class ObjectiveConfig:
    loss: str = "wasserstein"
    penalty: str = "gp"
    penalty_weight: float = 0.1
    penalty_target: float = 1.0  # gp, lp, dragan: the gradient norm the penalty pulls towards
    penalty_decay: str = "none"  # "linear" or "cosine": the weight falls to penalty_final x itself over
    # optim.decay_steps (train.steps if 0), as R3GAN's gamma does
    penalty_final: float = 0.0  # the decayed weight's end, as a fraction of objective.penalty_weight
    constraint: str = "none"
    clip_value: float = 0.01  # constraint "clip": every critic parameter kept in [-c, c]
    max_norm: float = 1.0  # constraint "maxnorm": per-unit bound on incoming weight norms
    grad_clip_norm: float = 1.0  # constraint "grad-clip": bound on the critic's parameter-gradient norm
    instance_noise_std: float = 0.0  # std of Gaussian noise added to every critic input; 0 = off
    instance_noise_steps: int = 0  # linear decay of that std to 0 over this many generator steps; 0 = constant


@dataclass(frozen=True)
class OptimConfig:
    name: str = "adam"
    lr_generator: float = 1e-4
    lr_critic: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)  # adam only
    lr_decay: str = "none"  # "linear" or "cosine": both learning rates fall to lr_final x themselves over decay_steps
    lr_final: float = 0.0  # the decayed rates' end, as a fraction of the starting rates (R3GAN: 0.25)
    decay_steps: int = 0  # the decay's horizon in generator steps (the recipe's); 0 = train.steps


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000  # generator steps
    batch_size: int = 256  # the critic's batch (real and fake each)
    generator_batch_size: int = 0  # 0 = batch_size; the WGAN-GP CIFAR code's generator steps take twice as many
    critic_iters: int = 5
    critic_warmup: bool = False  # WGAN code: 100 critic iterations for the first 25 generator steps and every 500th
    ema_decay: float = 0.0  # generator EMA; 0 = off
    seed: int = 0
    device: str = "auto"  # "auto" (cuda where there is one, else cpu), "cpu", "cuda" or "cuda:N"; a run records the
    # device it chose; bitwise reproducibility is promised on the CPU only
    precision: str = "fp32"  # "fp32", "bf16" or "fp16": the forward passes under autocast (fp16 with loss scaling)
    matmul_precision: str = "highest"  # on a GPU: "highest" float32 matmuls/convolutions, or "high" (TensorFloat-32)
    log_every: int = 10
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    on_nonfinite: str = "stop"  # a NaN/inf loss, gradient or parameter: "stop", or "rollback" to the last checkpoint
    rollback_factor: float = 0.5  # rollback: both learning rates are multiplied by this each time
    max_rollbacks: int = 3  # rollback: at most this many, then stop
    sync_batchnorm: bool = False  # under torchrun: BatchNorm statistics over the global batch, not each rank's
    compile: bool = False  # torch.compile the forward passes (the critic stays eager under a gradient penalty)
    label_sampling: str = "uniform"  # a conditional run's generator labels: training/labels.py LABEL_SAMPLINGS
    stop_on_plateau: bool = False  # end the run when quality stops improving (diagnostics/stopping.py's rule)
    plateau_patience: int = 8  # evaluations per window of the plateau rule


@dataclass(frozen=True)
class EvalConfig:
    every: int = 500  # generator steps between evaluations; 0 = only at the end
    samples: int = 2500  # generated samples for the mode metrics (VEEGAN/PacGAN protocol: 2,500)
    w1_samples: int = 2000  # generated and real points for the exact W1
    figures: bool = True
    diagnostics: bool = True  # a diagnostic probe of the critic per evaluation, in diagnostics.jsonl
    metrics: tuple[str, ...] = ("fid", "kid", "is", "pr", "modes")  # image data
    extractor: str = "auto"  # "auto": the data set's own classifier, else inception where it can be had; or a name
    extractor_weights: str = ""  # a weights file for extractors that need one
    image_samples: int = 2000  # generated images per image evaluation (the metric names carry it)


@dataclass(frozen=True)
class Config:
    preset: str = "grid"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


# Bounds past which a value is a mistake, not a plan: a thousand times the longest published GAN runs (BigGAN,
# StyleGAN: under 10^6 generator steps), two thousand times the field's largest evaluation (50,000 images).
SEEDS = 2**63  # a seed is in [0, 2**63), as torch's generators take it
MAX_STEPS = 10**9
MAX_IMAGES = 10**8
MAX_SIDE = 8192  # pixels per image side: eight times the largest GAN images (1024 x 1024)
MAX_WIDTH = 2**20  # units or channels per layer, latent dimensions, classes: hundreds of times BigGAN's widest (1,536);
# below it a network's size stays countable (the memory check then refuses what does not fit), above it overflows
MAX_DEPTH = 1000  # hidden layers of the MLP
MAX_CRITIC_ITERS = 10_000  # critic updates per generator step (the WGAN code's warm-up: 100)
_DEVICE = re.compile(r"auto|cpu|cuda(:[0-9]{1,4})?")  # train.device's form; whether this machine has it: validation.py

SECTIONS: dict[str, type] = {name: hint for name, hint in typing.get_type_hints(Config).items() if name != "preset"}


def to_dict(config: Config) -> dict[str, Any]:
    """The config as plain JSON-able data (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(raw: Mapping[str, Any]) -> Config:
    """Rebuild and check a config saved by `to_dict` (from config.json or a checkpoint)."""
    return _checked(_merge(Config(), raw, source="saved config", saved=True), saved=True)


def with_values(config: Config, values: Mapping[str, Any]) -> Config:
    """`config` with typed values by dotted key, e.g. {"train.steps": 500, "eval.metrics": ["fid"]}, checked: the
    given values against every bound, the rest (a run's own config, perhaps older than an upper bound) as saved."""
    nested: dict[str, dict[str, Any]] = {}
    for dotted, value in values.items():
        section, dot, key = dotted.partition(".")
        if not dot or not key:
            raise ConfigError(f"{dotted!r} is not a section.key name (e.g. train.steps)")
        nested.setdefault(section, {})[key] = value
    _checked(_merge(Config(), nested, source="the given values"))  # the defaults are within every bound
    changed = _checked(_merge(config, nested, source="the given values"), saved=True)
    return _with_root_resolved(changed) if "root" in nested.get("data", {}) else changed


def load(
    path: Path | None = None, preset: str | None = None, overrides: Sequence[str] = (), steps: int | None = None
) -> Config:
    """Resolve defaults <- preset <- TOML file <- `section.key=value` overrides <- --steps, each layer checked as it
    is applied: a value out of range is refused where it is written, never hidden by a later layer."""
    file_values: dict[str, Any] = read_toml(path) if path is not None else {}
    from_file = file_values.pop("preset", None)
    if from_file is not None and not isinstance(from_file, str):
        raise ConfigError(f"preset in {path} must be a name in quotes (e.g. preset = \"grid\"), got {from_file!r}")
    preset_name = preset or from_file or Config.preset
    chosen = PRESETS.resolve(preset_name, key="preset")
    config = _merge(Config(preset=preset_name), chosen.values, source="preset")
    config = _checked(_merge(config, file_values, source=str(path)), source=str(path) if path else "the preset")
    config = _checked(_merge(config, parse_overrides(overrides), source="--set"), source="--set")
    if steps is not None:
        config = _merge(config, {"train": {"steps": steps}}, source="--steps")
    return _with_root_resolved(_checked(config))


def _with_root_resolved(config: Config) -> Config:
    """data.root made absolute (against the working directory, ~ expanded), the path as given kept beside it in
    data.root_given: the run's config names its data wherever the run is read from later."""
    given = config.data.root
    resolved = os.path.abspath(os.path.expanduser(given)) if given else given
    data = dataclasses.replace(config.data, root=resolved, root_given=given if resolved != given else "")
    return dataclasses.replace(config, data=data)


def _merge(config: Config, values: Mapping[str, Any], source: str, saved: bool = False) -> Config:
    """Apply nested `{section: {key: value}}` values to `config`, checking keys and types; keys wganlab writes
    itself are taken only from a `saved` config (a run's, read back)."""
    changes: dict[str, Any] = {}
    for section, entries in values.items():
        if section == "preset":
            changes["preset"] = coerce(entries, str, "preset", source)
            continue
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section [{section}] in {source}; {suggest(section, SECTIONS)}")
        if not isinstance(entries, Mapping):
            raise ConfigError(f"config section [{section}] in {source} must be a table of key = value")
        hints = typing.get_type_hints(SECTIONS[section])
        updates = {}
        for key, value in entries.items():
            if key not in hints:
                raise ConfigError(f"unknown config key {section}.{key} in {source}; {suggest(key, hints)}")
            if (section, key) == ("data", "root_given") and not saved:
                raise ConfigError(f"data.root_given (in {source}) is written by wganlab, the data.root given when it "
                                  "was relative; set data.root")
            updates[key] = coerce(value, hints[key], f"{section}.{key}", source)
        changes[section] = dataclasses.replace(getattr(config, section), **updates)
    return dataclasses.replace(config, **changes)


def _checked(config: Config, source: str = "", saved: bool = False) -> Config:
    """Refuse values out of range: each rule names the key and the range it must lie in (and the `source` the
    value came from, when given). A `saved` config (a run's, read back) is held to the lower bounds only: the
    upper ones catch typos in a new config and must never lock a user out of a run made before them."""
    for ok, message in _rules(config, saved):
        if not ok:
            raise ConfigError(f"{message} (in {source})" if source else message)
    return config


def network_in_bounds(model: ModelConfig) -> bool:
    """Whether the networks' sizes keep the bounds a new config is held to (a saved one only to the lower ones):
    what a network read from a file must keep before it is built, even on the meta device (a billion layers take
    hours)."""
    return all(ok for ok, _ in _model_rules(model, saved=False))


def _model_rules(m: ModelConfig, saved: bool) -> list[tuple[bool, str]]:
    """`_rules`' rules of the networks' sizes (what `network_in_bounds` checks)."""
    width, depth = (math.inf,) * 2 if saved else (MAX_WIDTH, MAX_DEPTH)
    return [
        (1 <= m.latent_dim <= width, f"model.latent_dim must be in [1, {MAX_WIDTH:,}]"),
        (1 <= m.width <= width, f"model.width must be in [1, {MAX_WIDTH:,}]"),
        (1 <= m.depth <= depth, f"model.depth must be in [1, {MAX_DEPTH:,}]"),
        (0 <= m.classes <= width, f"model.classes must be in [0, {MAX_WIDTH:,}] (0 = the data's)"),
    ]


def _rules(config: Config, saved: bool) -> list[tuple[bool, str]]:
    """(whether `config` keeps it, the message naming the key and its range) for each rule; a `saved` config's
    upper bounds are infinite."""
    o, p, t, e, d = config.objective, config.optim, config.train, config.eval, config.data
    steps, images, side, iters = (math.inf,) * 4 if saved else (MAX_STEPS, MAX_IMAGES, MAX_SIDE, MAX_CRITIC_ITERS)
    return [
        *_model_rules(config.model, saved),
        (o.penalty_weight >= 0, "objective.penalty_weight (lambda) must be >= 0"),
        (o.penalty_target > 0, "objective.penalty_target must be > 0"),
        (0 <= o.penalty_final <= 1, "objective.penalty_final must be in [0, 1] (a fraction of the starting weight)"),
        (0 <= p.lr_final <= 1, "optim.lr_final must be in [0, 1] (a fraction of the starting rates)"),
        (o.clip_value > 0, "objective.clip_value (c) must be > 0"),
        (o.max_norm > 0, "objective.max_norm must be > 0"),
        (o.grad_clip_norm > 0, "objective.grad_clip_norm must be > 0"),
        (o.instance_noise_std >= 0, "objective.instance_noise_std must be >= 0"),
        (0 <= o.instance_noise_steps <= steps, f"objective.instance_noise_steps must be in [0, {MAX_STEPS:,}]"),
        (p.lr_generator > 0 and p.lr_critic > 0, "optim.lr_generator and optim.lr_critic must be > 0"),
        (all(0 <= b < 1 for b in p.betas), "optim.betas must both be in [0, 1)"),
        (_DEVICE.fullmatch(t.device) is not None,
         f'train.device {shown_value(t.device)} is not a device; use "auto", "cpu", "cuda" or "cuda:N"'),
        (1 <= t.steps <= steps, f"train.steps must be in [1, {MAX_STEPS:,}]"),
        (0 <= t.seed < SEEDS, "train.seed must be in [0, 2**63)"),
        (t.batch_size >= 1, "train.batch_size must be >= 1"),
        (t.generator_batch_size >= 0, "train.generator_batch_size must be >= 0 (0 = train.batch_size)"),
        (0 <= p.decay_steps <= steps, f"optim.decay_steps must be in [0, {MAX_STEPS:,}] (0 = train.steps)"),
        (1 <= t.critic_iters <= iters, f"train.critic_iters (n_critic) must be in [1, {MAX_CRITIC_ITERS:,}]"),
        (0 <= t.ema_decay < 1, "train.ema_decay must be in [0, 1)"),
        (1 <= t.log_every <= steps, f"train.log_every must be in [1, {MAX_STEPS:,}] (generator steps)"),
        (1 <= t.checkpoint_every <= steps, f"train.checkpoint_every must be in [1, {MAX_STEPS:,}] (generator steps)"),
        (t.keep_checkpoints >= 1, "train.keep_checkpoints must be >= 1"),
        (t.on_nonfinite in ("stop", "rollback"), 'train.on_nonfinite must be "stop" or "rollback"'),
        (t.precision in ("fp32", "bf16", "fp16"), 'train.precision must be "fp32", "bf16" or "fp16"'),
        (t.matmul_precision in ("highest", "high"), 'train.matmul_precision must be "highest" or "high"'),
        (0 < t.rollback_factor < 1, "train.rollback_factor must be in (0, 1)"),
        (t.max_rollbacks >= 1, "train.max_rollbacks must be >= 1"),
        (t.plateau_patience >= 2, "train.plateau_patience must be >= 2 (evaluations)"),
        (0 <= e.every <= steps, f"eval.every must be in [0, {MAX_STEPS:,}] (0 = only at the end)"),
        (1 <= min(e.samples, e.w1_samples) and max(e.samples, e.w1_samples) <= images,
         f"eval.samples and eval.w1_samples must be in [1, {MAX_IMAGES:,}]"),
        (2 <= e.image_samples <= images, f"eval.image_samples must be in [2, {MAX_IMAGES:,}]"),
        (0 <= min(d.resize, d.pad_to) and max(d.resize, d.pad_to) <= side,
         f"data.resize and data.pad_to must be in [0, {MAX_SIDE:,}] (pixels; 0 = keep)"),
        (d.stack in (1, 3), "data.stack must be 1 or 3"),
        (d.limit >= 0, "data.limit must be >= 0 (0 = all images)"),
    ]
