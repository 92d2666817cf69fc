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
    opened = snapshot.open_checkpoint(target, data_root)
    payload = opened.payload
    shape = snapshot.shape_of(payload, opened.config)
    use_ema = ema and payload.get("generator_ema") is not None  # a run without EMA: its trained weights
    weights = payload["generator_ema" if use_ema else "generator"]
    # a shape or config the weights do not fit: refused, never built
    return assemble(weights, opened.config, shape, use_ema, payload["step"], _provenance(opened), device,
                    origin=f"checkpoint {opened.path}")


def _provenance(opened: snapshot.Opened) -> dict[str, Any]:
    """Where the weights come from: the run (id and folder), the checkpoint and the digest of the bytes read, and
    the run's evaluation at that step with its protocol (None where it made none)."""
    folder, step = opened.folder, opened.payload["step"]
    evaluation = None
    if folder is not None:
        evaluation = next((r for r in rundir.read_jsonl(folder / rundir.METRICS) if r["step"] == step), None)
    measured = None if evaluation is None else {k: v for k, v in evaluation.items() if k not in ("step", "protocol")}
    return {
        "run": opened.payload.get("run"),
        "run_folder": str(folder.resolve()) if folder is not None else None,
        "checkpoint": str(opened.path.resolve()),
        "checkpoint_sha256": opened.sha256,
        "step": step,
        "train_seconds": opened.payload["train_seconds"],
        "metrics": measured,
        "protocol": None if evaluation is None else evaluation.get("protocol"),
        "wganlab": _version(),
    }


def _version() -> str | None:
    try:
        return metadata.version("wganlab")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return None
