"""Checkpoints: written atomically with the full training state, so a resumed run continues exactly, and read back
verified (opened for use without the rest of a run, as a snapshot of its networks: snapshot.py).

Each checkpoint carries a SHA-256 digest of everything in it (every tensor's bytes, every value), checked on
every read: a flipped bit, a bad disk or a bad copy is one line, never a run resumed from corrupt weights.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.errors import UserError, one_line
from wganlab.files import load_tensors, write_bytes_atomic
from wganlab.integrity import hash_tensor
from wganlab.models.portable import STEPS
from wganlab.training.step import TrainState

FORMAT = "wganlab-checkpoint-2"  # its payload must carry its digest
LEGACY = "wganlab-checkpoint-1"  # written before digests: read without one (no single flipped bit turns 2 into 1)
CHECKSUM = "sha256"  # the payload key of the digest
# what a payload must hold, and of what type, before anything is built from it
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "step": int, "train_seconds": (int, float), "config": dict, "generator": dict, "critic": dict,
    "generator_optimizer": dict, "critic_optimizer": dict, "generator_scheduler": dict, "critic_scheduler": dict,
    "rng": torch.Tensor, "data_rng": torch.Tensor, "torch_rng": torch.Tensor,
}


def save(path: Path, state: TrainState, config: Config, shape: tuple[int, ...]) -> None:
    """Serialise to memory, then write atomically: a crash mid-write leaves the previous checkpoint intact. A file
    in a run folder's checkpoints/ carries that run's id."""
    folder = rundir.run_of(path)
    write_bytes_atomic(path, encode(state, config, shape, rundir.run_id(folder) if folder is not None else None))


def encode(state: TrainState, config: Config, shape: tuple[int, ...], run: str | None = None) -> bytes:
    """The checkpoint file's bytes: the full state, the shape of one sample of the data (so the networks can be
    built without the data), the id of the `run` it belongs to and its digest."""
    payload: dict[str, Any] = {
        "format": FORMAT,
        "run": run,
        "shape": list(shape),
        "step": state.step,
        "train_seconds": state.train_seconds,
        "config": configuration.to_dict(config),
        "generator": state.generator.state_dict(),
        "critic": state.critic.state_dict(),
        "generator_ema": None if state.generator_ema is None else state.generator_ema.state_dict(),
        "generator_optimizer": state.generator_optimizer.state_dict(),
        "critic_optimizer": state.critic_optimizer.state_dict(),
        "generator_scheduler": state.generator_scheduler.state_dict(),
        "critic_scheduler": state.critic_scheduler.state_dict(),
        "rng": state.rng.get_state(),
        "data_rng": state.data_rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "lr_scale": state.lr_scale,
        "rollbacks": state.rollbacks,
    }
    if state.critic_scaler.is_enabled():  # fp16: the loss scales and their growth trackers (absent otherwise)
        payload["scalers"] = {"critic": state.critic_scaler.state_dict(),
                              "generator": state.generator_scaler.state_dict()}
    payload[CHECKSUM] = digest(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def digest(payload: dict[str, Any]) -> str:
    """SHA-256 of every key, value and tensor byte of the payload (its own digest left out), in a fixed order."""
    hasher = hashlib.sha256()

    def walk(value: Any, where: str) -> None:
        if isinstance(value, torch.Tensor):
            hasher.update(f"{where}:{value.dtype}:{tuple(value.shape)}:".encode())
            hash_tensor(hasher, value)
        elif isinstance(value, dict):
            for key in sorted(value, key=repr):
                if not (where == "" and key == CHECKSUM):
                    walk(value[key], f"{where}/{key!r}")
        elif isinstance(value, (list, tuple)):
            hasher.update(f"{where}:{type(value).__name__}{len(value)}".encode())
            for index, item in enumerate(value):
                walk(item, f"{where}/{index}")
        else:
            hasher.update(f"{where}={value!r};".encode())

    walk(payload, "")
    return hasher.hexdigest()


def read(path: Path) -> dict[str, Any]:
    """Load a checkpoint's payload; a missing, truncated, corrupt, malformed or foreign file is a `UserError`."""
    return decode(file_bytes(path), str(path))


def file_bytes(path: Path) -> bytes:
    """A checkpoint file's bytes, for `decode`; one line if it is missing or cannot be read."""
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist; give a run folder or a checkpoint-*.pt file")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read checkpoint {path}: {error.strerror or error}") from None


def decode(data: bytes, where: str) -> dict[str, Any]:
    """A checkpoint's payload from its bytes, verified (`where` names it in errors)."""
    try:
        payload = load_tensors(io.BytesIO(data))
    except ValueError as reason:
        raise UserError(
            f"checkpoint {where} is damaged or not a checkpoint ({reason}); resume from an earlier checkpoint-*.pt"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, LEGACY):
        raise UserError(f"{where} is not a wganlab checkpoint (no {FORMAT!r} marker); give a file wganlab wrote")
    try:
        intact = payload["format"] == LEGACY or payload.get(CHECKSUM) == digest(payload)
    except RecursionError:  # a damaged pickle can make a structure that contains itself
        intact = False
    if not intact:
        raise UserError(
            f"checkpoint {where} fails its checksum: its contents changed after it was written (a flipped bit, a bad "
            "disk or copy); resume from an earlier checkpoint-*.pt"
        )
    for field, kind in _FIELDS.items():
        if not isinstance(payload.get(field), kind) or isinstance(payload.get(field), bool):
            found = type(payload.get(field)).__name__ if field in payload else "nothing"
            raise UserError(f"checkpoint {where} is malformed: {field!r} holds {found}; give a file wganlab wrote")
    if not 0 <= payload["step"] < STEPS:
        raise UserError(f"checkpoint {where} is malformed: its step {one_line(payload['step'], limit=60)} is outside "
                        "[0, 2**63); give a file wganlab wrote")
    return payload


def config_of(payload: dict[str, Any]) -> Config:
    """The config the checkpoint was trained with (one line if it is not a valid config)."""
    try:
        return configuration.from_dict(payload["config"])
    except UserError as error:
        raise UserError(f"the checkpoint's config is not valid ({error}); give a file wganlab wrote") from None


def restore(state: TrainState, payload: dict[str, Any]) -> None:
    """Load every part of the payload into a freshly built state of the same config."""
    load_states(
        payload,
        {
            "generator": state.generator,
            "critic": state.critic,
            "generator_ema": state.generator_ema,
            "generator_optimizer": state.generator_optimizer,
            "critic_optimizer": state.critic_optimizer,
            "generator_scheduler": state.generator_scheduler,
            "critic_scheduler": state.critic_scheduler,
        },
    )
    for optimizer in (state.generator_optimizer, state.critic_optimizer):
        _laid_out_as_parameters(optimizer)
    try:
        state.rng.set_state(payload["rng"])
        state.data_rng.set_state(payload["data_rng"])
        torch.set_rng_state(payload["torch_rng"])
    except (RuntimeError, TypeError, ValueError) as error:
        raise UserError(f"the checkpoint's random states do not load ({one_line(error, limit=300)})") from None
    state.step = int(payload["step"])
    state.train_seconds = float(payload.get("train_seconds", 0.0))
    state.lr_scale = float(payload.get("lr_scale", 1.0))
    state.rollbacks = int(payload.get("rollbacks", 0))
    scalers = payload.get("scalers")
    if isinstance(scalers, dict) and state.critic_scaler.is_enabled():
        load_states(scalers, {"critic": state.critic_scaler, "generator": state.generator_scaler})


def _laid_out_as_parameters(optimizer: torch.optim.Optimizer) -> None:
    """Each moment in its parameter's memory layout, where a checkpoint kept another (one written before a GPU run's
    image networks were channels_last): a fused optimiser walks them all as flat arrays."""
    for parameter, moments in optimizer.state.items():
        for key, value in moments.items():
            if isinstance(value, Tensor) and value.shape == parameter.shape and value.stride() != parameter.stride():
                moments[key] = torch.empty_like(parameter, dtype=value.dtype).copy_(value)


def load_states(payload: dict[str, Any], parts: dict[str, Any]) -> None:
    """`part.load_state_dict(payload[name])` for each part that exists; a mismatch is a one-line UserError."""
    try:
        for name, part in parts.items():
            if part is not None:
                part.load_state_dict(payload[name])
    except (KeyError, RuntimeError, ValueError, TypeError) as error:
        reason = one_line(error, limit=300)  # the first mismatches
        raise UserError(
            f"checkpoint does not match its own config ({reason}); it was not written by this run"
        ) from None
