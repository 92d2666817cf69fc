"""A trained generator in one portable file: its weights in safetensors, with what rebuilds the network (the
resolved config, the shape of one sample) and where it came from (its provenance) as the file's metadata.

Reading one needs torch, safetensors and wganlab's network code only. Nothing in it is unpickled or executed (a
safetensors file holds tensors and text), and every byte is checked against the SHA-256 digest it carries, so a
damaged or foreign file is one line, never a generator with wrong weights. The digest is unkeyed: it catches
damage, not an edit whose maker computed it again; an edited file is refused only where it is inconsistent (a
config, shape or weights that do not fit one another, a value out of range).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from wganlab import config as configuration
from wganlab.config import Config, network_in_bounds
from wganlab.errors import ConfigError, UserError, one_line
from wganlab.files import parse_json
from wganlab.integrity import hash_tensor
from wganlab.models.architectures import build_networks
from wganlab.models.sampling import generate
from wganlab.models.shapes import sample_shape

FORMAT = "wganlab-generator-1"
SUFFIX = ".safetensors"
IMAGE_RANGE = (-1.0, 1.0)  # every image generator ends in tanh
STEPS = 2**63  # a step a file may record is in [0, 2**63): an int64, as torch's counters
_DIGEST = "sha256"  # the metadata key of the digest of everything else in the file


@dataclass(frozen=True)
class TrainedGenerator:
    """A trained generator ready to use: `module` maps latents [N, latent_dim] to samples [N, *shape]; a class-
    conditional one (config.model.conditioning) takes labels [N] in 0..classes-1 beside them, module(z, y), and
    `sample` makes sample i for class i mod classes."""

    module: nn.Module  # in eval mode (BatchNorm uses its running statistics), gradients off
    latent_dim: int
    shape: tuple[int, ...]  # one sample's: (C, H, W) images, or (2,) points
    value_range: tuple[float, float] | None  # images: (-1.0, 1.0); 2-D points: None (unbounded)
    ema: bool  # the exponential moving average of the weights (True) or the trained weights themselves
    step: int  # the generator step the weights are from
    config: Config  # the run's resolved config
    provenance: dict[str, Any] = field(default_factory=dict)  # run, checkpoint digest, metrics with their protocol

    def sample(self, count: int, seed: int = 0) -> Tensor:
        """`count` samples [count, *shape] on the CPU from latents z ~ N(0, I) drawn with `seed`: the images
        `wganlab sample --seed SEED` writes, bitwise where both run on the same device (the CPU, or a run's GPU
        with device= it)."""
        return generate(self.module, count, self.latent_dim, seed)


def assemble(
    weights: dict[str, Tensor], config: Config, shape: tuple[int, ...], ema: bool, step: int,
    provenance: dict[str, Any], device: str | torch.device = "cpu", origin: str = "the weights",
    remedy: str = "give a file wganlab wrote",
) -> TrainedGenerator:
    """The generator network of `config` for samples of `shape`, holding `weights`, in eval mode on `device`.
    Whatever they come from (a checkpoint, an exported file: `origin`, named in the refusal with the `remedy`),
    weights that are not that network's, or a config or shape that builds none, are one line before any network
    is allocated: a size written into a file is never made real."""
    refuse_misfit([weights], config, shape, origin, remedy)
    with torch.random.fork_rng(devices=[]):  # the initial weights are replaced: leave the caller's RNG as it was
        generator, _ = build_networks(config.model, shape)
    try:
        generator.load_state_dict(weights)
    except (RuntimeError, ValueError, TypeError) as error:  # names, shapes and dtypes fit: a stranger tensor
        raise UserError(f"{origin} is malformed: its weights do not load ({one_line(error, limit=300)}); {remedy}") \
            from None
    try:
        generator = generator.to(torch.device(device))
    except (RuntimeError, AssertionError) as error:  # an unknown device, or one this machine lacks
        raise UserError(f"cannot put the generator on device {str(device)!r} ({one_line(error, limit=300)})") \
            from None
    generator.eval().requires_grad_(False)
    value_range = IMAGE_RANGE if len(shape) == 3 else None
    return TrainedGenerator(generator, config.model.latent_dim, shape, value_range, ema, step, config, provenance)


def encode(generator: TrainedGenerator) -> bytes:
    """The file's bytes: the module's weights (float32 as trained) and the metadata that rebuilds and describes it."""
    from safetensors.torch import save

    weights = {name: tensor.detach().cpu().contiguous() for name, tensor in generator.module.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "config": json.dumps(configuration.to_dict(generator.config), sort_keys=True),
        "shape": json.dumps(list(generator.shape)),
        "weights": "ema" if generator.ema else "trained",
        "step": str(generator.step),
        "provenance": json.dumps(generator.provenance, sort_keys=True, allow_nan=True),
    }
    metadata[_DIGEST] = digest(weights, metadata)
    return save(weights, metadata)


def read(path: Path, ema: bool = True, device: str | torch.device = "cpu") -> TrainedGenerator:
    """The generator in a file `encode` wrote; `ema` False asks for the trained weights rather than their EMA (a
    file holds one of them: the refusal says how to export the other). One line for a missing, damaged or foreign
    file, and for an edited one where it is inconsistent (the digest is unkeyed: it catches damage, not edits)."""
    weights, metadata = _open(path)
    if metadata.get(_DIGEST) != digest(weights, metadata):
        raise UserError(f"{path} fails its checksum: its contents changed after it was exported (a flipped bit, a "
                        "bad disk or copy, an edit); export it again")
    try:
        raw = parse_json(metadata["config"])
        if not isinstance(raw, dict):
            raise ValueError(f"its config is {type(raw).__name__}, not a table")
        config = configuration.from_dict(raw)
        recorded = parse_json(metadata["shape"])
        step = int(metadata["step"])
        provenance = parse_json(metadata["provenance"])
        held = metadata["weights"]
    except (KeyError, ValueError, TypeError, ConfigError) as error:  # malformed JSON: a ValueError
        raise UserError(f"{path} is malformed ({one_line(error, limit=300)}); export it again") from None
    shape = sample_shape(recorded)
    found = _out_of_range(recorded, shape, step, held, provenance)
    if found is not None:
        raise UserError(f"{path} is malformed ({one_line(found, limit=200)}); export it again")
    kept_ema = config.train.ema_decay > 0
    if ema and held == "trained" and kept_ema:
        raise UserError(f"{path} holds the trained generator (exported with --raw), not its EMA copy: ask for the "
                        "trained weights (--raw, or ema=False), or export the EMA one with `wganlab export RUN`")
    if not ema and held == "ema":
        raise UserError(f"{path} holds the EMA generator, not the trained weights: ask for it (no --raw, or "
                        "ema=True), or export the trained one with `wganlab export RUN --raw`")
    assert shape is not None  # refused above
    return assemble(weights, config, shape, held == "ema", step, provenance, device, origin=str(path),
                    remedy="export it again")


def _out_of_range(
    recorded: object, shape: tuple[int, ...] | None, step: int, held: str, provenance: object
) -> str | None:
    """The first of a file's metadata values that is not one it can hold, named with its value; None if none."""
    problems = {
        f"shape {recorded}": shape is None,
        f"step {step}": not 0 <= step < STEPS,
        f"weights {held!r}": held not in ("ema", "trained"),
        "provenance not a table": not isinstance(provenance, dict),
    }
    return next((problem for problem, bad in problems.items() if bad), None)


def refuse_misfit(
    tables: Sequence[object], config: Config, shape: tuple[int, ...], origin: str,
    remedy: str = "give a file wganlab wrote",
) -> None:
    """One line (`origin` is malformed, and the `remedy`) unless every table of weights in `tables` is the generator
    `config` builds for samples of `shape`: a network beyond the size bounds, one that cannot be built, or tensors
    of other names, shapes or dtypes are refused. The network is built once, on the meta device (nothing
    allocated)."""
    expected = _expected_weights(config, shape)
    problem = expected if isinstance(expected, str) else next(
        (found for table in tables if (found := _misfit(table, expected)) is not None), None)
    if problem is not None:
        raise UserError(f"{origin} is malformed: {problem}; {remedy}")


def _expected_weights(config: Config, shape: tuple[int, ...]) -> dict[str, tuple[tuple[int, ...], torch.dtype]] | str:
    """The names, shapes and dtypes of the generator's weights, or why no such generator can be built."""
    if not network_in_bounds(config.model):
        return "its config describes a network beyond the size bounds"
    try:
        with torch.device("meta"):
            network = build_networks(config.model, shape)[0]
    except (RuntimeError, ValueError, OverflowError, IndexError, TypeError, UserError) as error:  # sizes a tensor
        # cannot have, or a network for images asked for 2-D points
        return f"its config describes a generator that cannot be built ({one_line(error, limit=200)})"
    return {name: (tuple(tensor.shape), tensor.dtype) for name, tensor in network.state_dict().items()}


def _misfit(weights: object, expected: dict[str, tuple[tuple[int, ...], torch.dtype]]) -> str | None:
    """Why `weights` are not a table of the `expected` tensors, or None."""
    if not isinstance(weights, dict):  # a checkpoint's entry may hold anything its digest covers
        return f"its weights are {type(weights).__name__}, not a table of tensors"
    held = {name: (tuple(tensor.shape), tensor.dtype) if isinstance(tensor, Tensor) else type(tensor).__name__
            for name, tensor in weights.items()}
    if held == expected:
        return None
    differ = sorted(set(held) ^ set(expected), key=repr) or [n for n in sorted(held, key=repr)
                                                             if held[n] != expected[n]]
    return f"its weights do not fit the generator its config describes (first difference: {str(differ[0])[:100]!r})"


def _open(path: Path) -> tuple[dict[str, Tensor], dict[str, str]]:
    """The tensors and metadata of a wganlab generator file; one line if it is missing, not a safetensors file, or
    a foreign one (refused by its metadata, before any tensor is read)."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise UserError(f"{path} does not exist; give a file written by `wganlab export`")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as stream:
            metadata = stream.metadata() or {}
            if metadata.get("format") != FORMAT:  # (a UserError: not one of those caught below)
                raise UserError(f"{path} is a safetensors file but not a wganlab generator (no {FORMAT!r} marker); "
                                "export one with `wganlab export RUN`")
            weights = {name: stream.get_tensor(name) for name in stream.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise UserError(f"{path} is damaged or not a safetensors file ({one_line(error, limit=200)}); give a file "
                        "written by `wganlab export`") from None
    return weights, metadata


def digest(weights: dict[str, Tensor], metadata: dict[str, str]) -> str:
    """SHA-256 of every metadata entry but the digest and of every tensor's name, dtype, shape and bytes."""
    hasher = hashlib.sha256()
    for key in sorted(metadata):
        if key != _DIGEST:
            hasher.update(json.dumps([key, metadata[key]]).encode())
    for name in sorted(weights):
        tensor = weights[name]
        hasher.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode())
        hash_tensor(hasher, tensor)
    return hasher.hexdigest()
