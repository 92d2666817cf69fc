"""A trained generator in one portable file: its weights in safetensors, with what rebuilds the network (the
resolved config, the shape of one sample) and where it came from (its provenance) as the file's metadata.

Reading one needs torch, safetensors and wganlab's network code only. Nothing in it is unpickled or executed (a
safetensors file holds tensors and text), and every byte is checked against the SHA-256 digest it carries, so a
damaged, foreign or tampered file is one line, never a generator with wrong weights.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from wganlab import config as configuration
from wganlab.config import MAX_DEPTH, MAX_WIDTH, Config
from wganlab.errors import ConfigError, UserError
from wganlab.models.architectures import build_networks
from wganlab.models.sampling import generate
from wganlab.models.shapes import sample_shape

FORMAT = "wganlab-generator-1"
SUFFIX = ".safetensors"
IMAGE_RANGE = (-1.0, 1.0)  # every image generator ends in tanh
_DIGEST = "sha256"  # the metadata key of the digest of everything else in the file


@dataclass(frozen=True)
class TrainedGenerator:
    """A trained generator ready to use: `module` maps latents [N, latent_dim] to samples [N, *shape]."""

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
    provenance: dict[str, Any], device: str | torch.device = "cpu",
) -> TrainedGenerator:
    """The generator network of `config` for samples of `shape`, holding `weights`, in eval mode on `device`."""
    with torch.random.fork_rng(devices=[]):  # the initial weights are replaced: leave the caller's RNG as it was
        generator, _ = build_networks(config.model, shape)
    try:
        generator.load_state_dict(weights)
    except (RuntimeError, ValueError, TypeError) as error:
        reason = " ".join(str(error).split()[:40])
        raise UserError(f"the weights do not fit the generator of their own config ({reason})") from None
    try:
        generator = generator.to(torch.device(device))
    except (RuntimeError, AssertionError) as error:  # an unknown device, or one this machine lacks
        raise UserError(f"cannot put the generator on device {str(device)!r} ({' '.join(str(error).split())})") \
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
    metadata[_DIGEST] = _digest(weights, metadata)
    return save(weights, metadata)


def read(path: Path, ema: bool = True, device: str | torch.device = "cpu") -> TrainedGenerator:
    """The generator in a file `encode` wrote; `ema` False asks for the trained weights rather than their EMA (a
    file holds one of them: the refusal says how to export the other). One line for a missing, damaged, foreign
    or tampered file."""
    weights, metadata = _open(path)
    if metadata.get("format") != FORMAT:
        raise UserError(f"{path} is a safetensors file but not a wganlab generator (no {FORMAT!r} marker); export "
                        "one with `wganlab export RUN`")
    if metadata.get(_DIGEST) != _digest(weights, metadata):
        raise UserError(f"{path} fails its checksum: its contents changed after it was exported (a flipped bit, a "
                        "bad disk or copy, an edit); export it again")
    try:
        raw = json.loads(metadata["config"])
        if not isinstance(raw, dict):
            raise ValueError(f"its config is {type(raw).__name__}, not a table")
        config = configuration.from_dict(raw)
        recorded = json.loads(metadata["shape"])
        step = int(metadata["step"])
        provenance = json.loads(metadata["provenance"])
        held = metadata["weights"]
    except (KeyError, ValueError, TypeError, ConfigError) as error:  # JSONDecodeError is a ValueError
        raise UserError(f"{path} is malformed ({' '.join(str(error).split())}); export it again") from None
    shape = sample_shape(recorded)
    problems = {
        f"shape {recorded}": shape is None,
        f"step {step}": not 0 <= step < 2**63,
        f"weights {held!r}": held not in ("ema", "trained"),
        "provenance not a table": not isinstance(provenance, dict),
        f"train.device {config.train.device!r}": not re.fullmatch(r"cpu|cuda(:\d{1,4})?", config.train.device),
        "a network beyond the size bounds": not (config.model.width <= MAX_WIDTH and config.model.depth <= MAX_DEPTH
                                                 and config.model.latent_dim <= MAX_WIDTH),
    }
    found = [problem for problem, bad in problems.items() if bad]
    if found:
        raise UserError(f"{path} is malformed ({found[0][:200]}); export it again")
    kept_ema = config.train.ema_decay > 0
    if ema and held == "trained" and kept_ema:
        raise UserError(f"{path} holds the trained generator (exported with --raw), not its EMA copy: ask for the "
                        "trained weights (--raw, or ema=False), or export the EMA one with `wganlab export RUN`")
    if not ema and held == "ema":
        raise UserError(f"{path} holds the EMA generator, not the trained weights: ask for it (no --raw, or "
                        "ema=True), or export the trained one with `wganlab export RUN --raw`")
    assert shape is not None  # refused above
    _check_sizes(path, weights, config, shape)
    return assemble(weights, config, shape, held == "ema", step, provenance, device)


def _check_sizes(path: Path, weights: dict[str, Tensor], config: Config, shape: tuple[int, ...]) -> None:
    """The network its config describes, built on the meta device (nothing allocated), must have exactly the
    file's tensors: a config that would build a network of another size is refused before any is allocated."""
    try:
        with torch.device("meta"):
            network = build_networks(config.model, shape)[0]
    except (RuntimeError, ValueError, OverflowError, IndexError, TypeError) as error:  # sizes a tensor cannot have,
        # or a network for images asked for 2-D points
        raise UserError(f"{path} is malformed: its config describes a generator that cannot be built "
                        f"({' '.join(str(error).split())[:200]}); export it again") from None
    expected = {name: (tuple(tensor.shape), tensor.dtype) for name, tensor in network.state_dict().items()}
    held = {name: (tuple(tensor.shape), tensor.dtype) for name, tensor in weights.items()}
    if held != expected:
        differ = sorted(set(held) ^ set(expected)) or [n for n in sorted(held) if held[n] != expected[n]]
        raise UserError(f"{path} is malformed: its weights do not fit the generator its config describes (first "
                        f"difference: {differ[0][:100]!r}); export it again")


def _open(path: Path) -> tuple[dict[str, Tensor], dict[str, str]]:
    """The tensors and metadata of a safetensors file (one line if it is missing or not one)."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise UserError(f"{path} does not exist; give a file written by `wganlab export`")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as stream:
            metadata = stream.metadata() or {}
            weights = {name: stream.get_tensor(name) for name in stream.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        reason = " ".join(str(error).split())[:200]
        raise UserError(f"{path} is damaged or not a safetensors file ({reason}); give a file written by "
                        "`wganlab export`") from None
    return weights, metadata


def _digest(weights: dict[str, Tensor], metadata: dict[str, str]) -> str:
    """SHA-256 of every metadata entry but the digest and of every tensor's name, dtype, shape and bytes."""
    hasher = hashlib.sha256()
    for key in sorted(metadata):
        if key != _DIGEST:
            hasher.update(json.dumps([key, metadata[key]]).encode())
    for name in sorted(weights):
        tensor = weights[name].contiguous()
        hasher.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode())
        hasher.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return hasher.hexdigest()
