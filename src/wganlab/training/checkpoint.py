"""Checkpoints: written atomically with the full training state, so a resumed run continues exactly; read back
whole (to resume) or as a snapshot of the networks (to look at a run without building the rest of it)."""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.data.datasets import Dataset, build_dataset, data_shape
from wganlab.errors import UserError
from wganlab.files import write_bytes_atomic
from wganlab.objectives.objective import Objective, build_objective
from wganlab.training.build import seeded_networks
from wganlab.training.ema import make_ema
from wganlab.training.state import TrainState
from wganlab.training.validation import validate

FORMAT = "wganlab-checkpoint-1"


def save(path: Path, state: TrainState, config: Config) -> None:
    """Serialise to memory, then write atomically: a crash mid-write leaves the previous checkpoint intact."""
    payload = {
        "format": FORMAT,
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
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue())


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


def config_of(payload: dict[str, Any]) -> Config:
    """The config the checkpoint was trained with."""
    return configuration.from_dict(payload["config"])


def restore(state: TrainState, payload: dict[str, Any]) -> None:
    """Load every part of the payload into a freshly built state of the same config."""
    _load_states(
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
    state.rng.set_state(payload["rng"])
    state.data_rng.set_state(payload["data_rng"])
    torch.set_rng_state(payload["torch_rng"])
    state.step = int(payload["step"])
    state.train_seconds = float(payload.get("train_seconds", 0.0))


@dataclass(frozen=True)
class Snapshot:
    """A checkpoint's networks with the data and objective they were trained with; no optimiser, no evaluator."""

    folder: Path
    config: Config
    step: int
    dataset: Dataset
    objective: Objective
    generator: nn.Module
    critic: nn.Module
    generator_ema: nn.Module | None

    @property
    def sampler(self) -> nn.Module:
        """The generator to evaluate: the EMA copy when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator


def load_snapshot(target: Path) -> Snapshot:
    """The latest checkpoint of a run folder (or a given checkpoint file), as a `Snapshot`."""
    folder, path = rundir.resolve_checkpoint(target)
    payload = read(path)
    config = config_of(payload)
    validate(config)
    dataset = build_dataset(config.data, config.train.seed)
    objective = build_objective(config.objective)
    generator, critic = seeded_networks(config, data_shape(dataset), objective)
    ema = make_ema(generator) if config.train.ema_decay > 0 else None
    _load_states(payload, {"generator": generator, "critic": critic, "generator_ema": ema})
    return Snapshot(folder, config, int(payload["step"]), dataset, objective, generator, critic, ema)


def _load_states(payload: dict[str, Any], parts: dict[str, Any]) -> None:
    """`part.load_state_dict(payload[name])` for each part that exists; a mismatch is a one-line UserError."""
    try:
        for name, part in parts.items():
            if part is not None:
                part.load_state_dict(payload[name])
    except (KeyError, RuntimeError, ValueError, TypeError) as error:
        reason = " ".join(str(error).split()[:40])  # the first mismatches, on one line
        raise UserError(
            f"checkpoint does not match its own config ({reason}); it was not written by this run"
        ) from None
