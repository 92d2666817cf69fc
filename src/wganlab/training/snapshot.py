"""A run's checkpoint opened for use rather than to resume: the networks of a checkpoint (a `Snapshot`: no
optimiser, no evaluator), its config on a device this machine has, the shape of a sample without reading the
data, and the training data itself only where something needs it, with one line naming where to point when it
cannot be read.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from torch import nn

from wganlab import config as configuration
from wganlab import rundir, runlogs
from wganlab.config import Config
from wganlab.data.datasets import Dataset, build_dataset, data_shape, shape_from
from wganlab.errors import UserError
from wganlab.models.portable import refuse_misfit
from wganlab.models.shapes import sample_shape
from wganlab.objectives.objective import Objective
from wganlab.training import checkpoint
from wganlab.training.build import objective_of, seeded_networks
from wganlab.training.step import make_ema
from wganlab.training.validation import concrete_device, device_here, validate


@dataclass(frozen=True)
class Snapshot:
    """A checkpoint's networks with the objective they were trained with; no optimiser, no evaluator, and the
    training data only when asked for (`dataset`): sampling needs none of it."""

    folder: Path  # the run folder, or the checkpoint file itself when it sits in none
    config: Config
    step: int
    shape: tuple[int, ...]  # one sample's: (2,) or (C, H, W)
    objective: Objective
    generator: nn.Module
    critic: nn.Module
    generator_ema: nn.Module | None

    @property
    def sampler(self) -> nn.Module:
        """The generator to evaluate: the EMA copy when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @functools.cached_property
    def dataset(self) -> Dataset:
        """The run's training data, read on first use (what a probe or real features need)."""
        return training_data(self.config, self.shape)


def training_data(config: Config, shape: tuple[int, ...] | None = None) -> Dataset:
    """The data set of a run's config; where it cannot be read (moved, another machine), or its samples are not of
    the run's `shape` (given: data.root pointed to other data), one line naming the key that points to it."""
    try:
        dataset = build_dataset(config.data, config.train.seed)
    except UserError as error:
        raise UserError(f"the run's training data is needed here and cannot be read ({error}); point to where it "
                        "is now with --set data.root=DIR") from None
    if shape is not None and data_shape(dataset) != shape:
        raise UserError(f"the data at {config.data.root or config.data.name} has samples of shape "
                        f"{data_shape(dataset)}, the run trained on {shape}: point data.root to the run's own data "
                        "(--set data.root=DIR)")
    return dataset


def usable_here(config: Config) -> Config:
    """`config` with train.device "cpu" when it names a GPU this machine lacks: a checkpoint's networks can be used
    anywhere (sampling, evaluating, diagnosing a GPU run on a laptop); training resumes only on its own device."""
    device = concrete_device(config.train.device)  # "auto" (a config not from a run's build) is this machine's
    device = device if device_here(device) else "cpu"
    return config if device == config.train.device else configuration.with_values(config, {"train.device": device})


class Opened(NamedTuple):
    """A checkpoint opened for use: read once, verified, and held to its run folder."""

    folder: Path | None  # its run folder; None for a file in no run folder's checkpoints/
    path: Path
    payload: dict[str, Any]
    config: Config  # its config, data.root replaced where the data moved
    sha256: str  # of the file's bytes, as read (the provenance of what is built from it)


def open_checkpoint(target: Path, data_root: str | None = None) -> Opened:
    """A run folder's latest checkpoint, or a checkpoint file, read once and verified, refused in one line unless
    it belongs to its run folder; the config's data read from `data_root` when given (the data moved)."""
    folder, path = rundir.resolve_checkpoint(target)
    data = checkpoint.file_bytes(path)
    payload = checkpoint.decode(data, str(path))
    config = checkpoint.config_of(payload)
    if folder is not None:
        _refuse_another_runs(folder, path, payload, config)
    if data_root is not None:
        config = configuration.with_values(config, {"data.root": data_root})
    return Opened(folder, path, payload, config, hashlib.sha256(data).hexdigest())


# What must agree between a run folder's config.json and a checkpoint in it (train.steps may differ), and what
# may differ within them: where the data is (a resumed run's may have moved, `train --resume --set data.root`).
_MUST_MATCH = ("model", "data", "objective")
_WHEREVER = {("data", "root"), ("data", "root_given")}


def _refuse_another_runs(folder: Path, path: Path, payload: dict[str, Any], config: Config) -> None:
    """One line unless the checkpoint belongs to the run `folder`: trained with the run's model, data and objective
    (else the first difference is named) and carrying the run's id (else both runs are named)."""
    try:
        run_config = runlogs.read_config(folder)
    except UserError:  # a damaged config.json: the run's id alone decides (resume writes config.json anew)
        run_config = None
    if run_config is not None:
        ours, theirs = configuration.to_dict(config), configuration.to_dict(run_config)
        for section in _MUST_MATCH:
            for key, value in theirs[section].items():
                if ours[section].get(key) != value and (section, key) not in _WHEREVER:
                    raise UserError(
                        f"{path} was trained with {section}.{key} = {ours[section].get(key)!r} but run folder "
                        f"{folder} has {value!r}: it belongs to another run; give its own run folder, or copy it out "
                        "of checkpoints/ to use it alone"
                    )
    rundir.check_belongs(folder, path, payload.get("run"))


def load_snapshot(target: Path, data_root: str | None = None) -> Snapshot:
    """The latest checkpoint of a run folder (or a given checkpoint file), as a `Snapshot`, on the run's device or,
    where this machine lacks it, on the CPU; its training data read from `data_root` when given (the data moved)."""
    folder, path, payload, config, _ = open_checkpoint(target, data_root)
    config = usable_here(config)
    validate(config)
    objective = objective_of(config)
    shape = shape_of(payload, config)
    tables = [payload[name] for name in ("generator", "generator_ema") if payload.get(name) is not None]
    refuse_misfit(tables, config, shape, f"checkpoint {path}")  # before any network is allocated
    generator, critic = seeded_networks(config, shape, objective)
    ema = make_ema(generator) if config.train.ema_decay > 0 else None
    checkpoint.load_states(payload, {"generator": generator, "critic": critic, "generator_ema": ema})
    return Snapshot(folder or path, config, int(payload["step"]), shape, objective, generator, critic, ema)


def shape_of(payload: dict[str, Any], config: Config) -> tuple[int, ...]:
    """One sample's shape: the checkpoint's record of it, or (a checkpoint written before it kept one) what the
    config fixes, else what its data holds."""
    return recorded_shape(payload) or shape_from(config.data, lambda: training_data(config))


def recorded_shape(payload: dict[str, Any]) -> tuple[int, ...] | None:
    """The sample shape a checkpoint records; None for one written before checkpoints kept it."""
    recorded = payload.get("shape")
    if recorded is None:
        return None
    shape = sample_shape(recorded)
    if shape is None:
        raise UserError(f"the checkpoint's sample shape {recorded!r} is malformed; give a file wganlab wrote")
    return shape
