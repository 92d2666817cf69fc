"""The generator of a run's checkpoint, as `wganlab.load_generator` and `wganlab export` take it: the EMA copy
or the trained weights, built without the training data (the checkpoint records the shape of a sample), with
where they came from (the provenance an exported file carries).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from wganlab import rundir
from wganlab.errors import UserError
from wganlab.integrity import file_digest
from wganlab.models.portable import SUFFIX, TrainedGenerator, assemble
from wganlab.training import snapshot


def generator_of(
    target: Path, ema: bool = True, device: str | torch.device = "cpu", data_root: str | None = None
) -> TrainedGenerator:
    """The generator of a run folder's latest checkpoint (or a checkpoint file): its EMA copy when `ema` and the
    run keeps one, else the trained weights; with its provenance (run, checkpoint digest, metrics at that step).
    `data_root` points to the training data, read only for a checkpoint older than its record of the shape."""
    if target.suffix == SUFFIX:
        raise UserError(f"{target} is an exported generator already; give a run folder or a checkpoint-*.pt file")
    folder, path, payload, config = snapshot.open_checkpoint(target, data_root)
    shape = snapshot.shape_of(payload, config)
    use_ema = ema and payload.get("generator_ema") is not None  # a run without EMA: its trained weights
    weights = payload["generator_ema" if use_ema else "generator"]
    step = int(payload["step"])
    return assemble(weights, config, shape, use_ema, step, _provenance(folder, path, payload, step), device,
                    origin=f"checkpoint {path}")  # a shape or config the weights do not fit: refused, never built


def _provenance(folder: Path | None, path: Path, payload: dict[str, Any], step: int) -> dict[str, Any]:
    """Where the weights come from: the run (id and folder), the checkpoint and its digest, and the run's
    evaluation at that step with its protocol (None where it made none)."""
    evaluation = None
    if folder is not None:
        evaluation = next((r for r in rundir.read_jsonl(folder / rundir.METRICS) if r["step"] == step), None)
    measured = None if evaluation is None else {k: v for k, v in evaluation.items() if k not in ("step", "protocol")}
    try:
        digest = file_digest(path)
    except OSError as error:  # the run, still training, pruned it since it was read
        raise UserError(f"cannot read {path} again ({error.strerror or error}): it was removed while being read "
                        "(a run that is training prunes older checkpoints); try again") from None
    return {
        "run": payload.get("run"),
        "run_folder": str(folder.resolve()) if folder is not None else None,
        "checkpoint": str(path.resolve()),
        "checkpoint_sha256": digest,
        "step": step,
        "train_seconds": payload["train_seconds"],
        "metrics": measured,
        "protocol": None if evaluation is None else evaluation.get("protocol"),
        "wganlab": _version(),
    }


def _version() -> str | None:
    try:
        return metadata.version("wganlab")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return None
