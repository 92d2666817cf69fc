"""Typed, frozen run configuration: defaults <- preset <- TOML file <- --set overrides, validated once.

Downstream code only ever sees a validated `Config`; raw dicts stop here.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wganlab import registry
from wganlab.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(UserError):
    """A config value, key, file or preset the user gave is wrong."""


@dataclass(frozen=True)
class DataConfig:
    name: str = "grid"
    theta: float = 0.0  # parallel-lines only: the x position of the lines
    root: str = ""  # image data: the folder (or .npy/.npz file) to read; digits needs none
    split: str = "train"  # image data: "train" or "test"
    resize: int = 0  # image data: resize to resize x resize; 0 = keep
    pad_to: int = 0  # image data: pad with black to pad_to x pad_to (e.g. MNIST 28 -> 32); 0 = keep
    stack: int = 1  # image data: 3 = Stacked-MNIST style, three random grayscale images as RGB channels
    limit: int = 0  # image data: train on the first `limit` images only (WGAN-GP Sec. 5.6 used 1,000); 0 = all


@dataclass(frozen=True)
class ModelConfig:
    arch: str = "mlp"
    latent_dim: int = 2
    width: int = 512
    depth: int = 3  # mlp: hidden layers, in both networks
    activation: str = "relu"  # mlp only
    generator_norm: str = "batch"  # dcgan/resnet: "batch" or "none"
    critic_norm: str = "none"  # dcgan/resnet: "none", "layer" or "batch" (no batch under a per-sample penalty)


@dataclass(frozen=True)
class ObjectiveConfig:
    loss: str = "wasserstein"
    penalty: str = "gp"
    penalty_weight: float = 0.1
    penalty_target: float = 1.0  # gp, lp, dragan: the gradient norm the penalty pulls towards
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
    lr_decay: str = "none"  # "linear": both learning rates fall linearly to 0 over train.steps


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000  # generator steps
    batch_size: int = 256
    critic_iters: int = 5
    critic_warmup: bool = False  # WGAN code: 100 critic iterations for the first 25 generator steps and every 500th
    ema_decay: float = 0.0  # generator EMA; 0 = off
    seed: int = 0
    device: str = "cpu"  # "cpu", "cuda" or "cuda:N"; bitwise reproducibility is promised on the CPU only
    log_every: int = 10
    checkpoint_every: int = 500
    keep_checkpoints: int = 3


@dataclass(frozen=True)
class EvalConfig:
    every: int = 500  # generator steps between evaluations; 0 = only at the end
    samples: int = 2500  # generated samples for the mode metrics (VEEGAN/PacGAN protocol: 2,500)
    w1_samples: int = 2000  # generated and real points for the exact W1
    figures: bool = True
    diagnostics: bool = True  # a diagnostic probe of the critic per evaluation, in diagnostics.jsonl
    metrics: tuple[str, ...] = ("fid", "kid", "is", "pr", "modes")  # image data
    extractor: str = "auto"  # image features: "auto" (digits-classifier on digits), or a registered name
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


SECTIONS: dict[str, type] = {name: hint for name, hint in typing.get_type_hints(Config).items() if name != "preset"}


def to_dict(config: Config) -> dict[str, Any]:
    """The config as plain JSON-able data (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(raw: Mapping[str, Any]) -> Config:
    """Rebuild and validate a config saved by `to_dict` (from config.json or a checkpoint)."""
    return _validated(_merge(Config(), raw, source="saved config"))


def with_steps(config: Config, steps: int) -> Config:
    """The same config trained to a different number of generator steps (used to extend a resumed run)."""
    return _validated(_merge(config, {"train": {"steps": steps}}, source="--steps"))


def with_overrides(config: Config, overrides: Sequence[str]) -> Config:
    """`config` with `section.key=value` overrides applied and validated."""
    return _validated(_merge(config, _parse_overrides(overrides), source="--set"))


def load(
    path: Path | None = None,
    preset: str | None = None,
    overrides: Sequence[str] = (),
    steps: int | None = None,
) -> Config:
    """Resolve defaults <- preset <- TOML file <- `section.key=value` overrides <- --steps, then validate."""
    file_values: dict[str, Any] = _read_toml(path) if path is not None else {}
    preset_name = preset or file_values.pop("preset", None) or Config.preset
    file_values.pop("preset", None)
    if preset_name not in registry.PRESETS:
        raise ConfigError(f"unknown preset {preset_name!r}; {choices(preset_name, registry.PRESETS)}")
    config = _merge(Config(preset=preset_name), registry.PRESETS[preset_name].values, source="preset")
    config = _merge(config, file_values, source=str(path))
    config = _merge(config, _parse_overrides(overrides), source="--set")
    if steps is not None:
        config = _merge(config, {"train": {"steps": steps}}, source="--steps")
    return _validated(config)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give the path of a TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML ({error}); fix the syntax") from None


def _parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """`section.key=value` strings into nested dicts; values parse as TOML, bare words as strings."""
    result: dict[str, dict[str, Any]] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise ConfigError(f"--set {item!r} is not of the form section.key=value (e.g. train.steps=500)")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        result.setdefault(section, {})[name] = value
    return result


def _merge(config: Config, values: Mapping[str, Any], source: str) -> Config:
    """Apply nested `{section: {key: value}}` values to `config`, checking keys and types."""
    changes: dict[str, Any] = {}
    for section, entries in values.items():
        if section == "preset":
            changes["preset"] = _coerce(entries, str, "preset", source)
            continue
        if section not in SECTIONS:
            raise ConfigError(f"unknown config section [{section}] in {source}; {choices(section, SECTIONS)}")
        if not isinstance(entries, Mapping):
            raise ConfigError(f"config section [{section}] in {source} must be a table of key = value")
        section_type = SECTIONS[section]
        hints = typing.get_type_hints(section_type)
        updates = {}
        for key, value in entries.items():
            if key not in hints:
                raise ConfigError(f"unknown config key {section}.{key} in {source}; {choices(key, hints)}")
            updates[key] = _coerce(value, hints[key], f"{section}.{key}", source)
        changes[section] = dataclasses.replace(getattr(config, section), **updates)
    return dataclasses.replace(config, **changes)


def _coerce(value: Any, expected: Any, key: str, source: str) -> Any:
    """Check `value` against the annotated type; ints are accepted for floats, nothing else is converted."""

    def wrong() -> ConfigError:
        shown = getattr(expected, "__name__", str(expected))
        if typing.get_origin(expected) is tuple:
            shown = "a list of " + ", ".join(getattr(t, "__name__", "...") for t in typing.get_args(expected))
        return ConfigError(f"{key} in {source} must be {shown}, got {value!r} ({type(value).__name__})")

    if typing.get_origin(expected) is tuple:
        items = typing.get_args(expected)
        if len(items) == 2 and items[1] is Ellipsis:  # tuple[str, ...]: a list, or a comma-separated string
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            if not isinstance(value, (list, tuple)):
                raise wrong()
            return tuple(_coerce(v, items[0], key, source) for v in value)
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise wrong()
        return tuple(_coerce(v, t, key, source) for v, t in zip(value, items, strict=True))
    if isinstance(expected, types.UnionType):  # pragma: no cover - no optional fields yet
        raise wrong()
    if expected is bool:
        if not isinstance(value, bool):
            raise wrong()
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong()
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
        return float(value)
    if expected is str:
        if not isinstance(value, str):
            raise wrong()
        return value
    raise AssertionError(f"unhandled config type {expected}")


def choices(given: str, known: Mapping[str, Any] | Sequence[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(given, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}choose from: {', '.join(names)}"


def _validated(config: Config) -> Config:
    from wganlab.validation import validate  # validation reads Config's fields: imported late, no cycle

    validate(config)
    return config
