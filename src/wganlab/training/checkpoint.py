"""Atomic checkpoints that hold the full training state, so a resumed run continues exactly."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from wganlab import rundir
from wganlab.errors import UserError
from wganlab.training.state import TrainState

FORMAT = "wganlab-checkpoint-1"


def save(path: Path, state: TrainState, config: dict[str, Any]) -> None:
    """Serialise to memory, then write atomically: a crash mid-write leaves the previous checkpoint intact."""
    payload = {
        "format": FORMAT,
        "step": state.step,
        "train_seconds": state.train_seconds,
        "config": config,
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
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    rundir.atomic_write_bytes(path, buffer.getvalue())


def read(path: Path) -> dict[str, Any]:
    """Load a checkpoint's payload; a missing, truncated or foreign file is a `UserError`."""
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist; give a run folder or a checkpoint-*.pt file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(
            f"checkpoint {path} is damaged or not a checkpoint ({reason}); resume from an earlier checkpoint-*.pt"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path} is not a wganlab checkpoint (no {FORMAT!r} marker); give a file wganlab wrote")
    return payload


def restore(state: TrainState, payload: dict[str, Any]) -> None:
    """Load every part of the payload into a freshly built state of the same config."""
    try:
        state.generator.load_state_dict(payload["generator"])
        state.critic.load_state_dict(payload["critic"])
        if state.generator_ema is not None:
            state.generator_ema.load_state_dict(payload["generator_ema"])
        state.generator_optimizer.load_state_dict(payload["generator_optimizer"])
        state.critic_optimizer.load_state_dict(payload["critic_optimizer"])
        state.generator_scheduler.load_state_dict(payload["generator_scheduler"])
        state.critic_scheduler.load_state_dict(payload["critic_scheduler"])
    except (KeyError, RuntimeError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0]
        raise UserError(
            f"checkpoint does not match its own config ({reason}); it was not written by this run"
        ) from None
    state.rng.set_state(payload["rng"])
    state.data_rng.set_state(payload["data_rng"])
    torch.set_rng_state(payload["torch_rng"])
    state.step = int(payload["step"])
    state.train_seconds = float(payload.get("train_seconds", 0.0))
