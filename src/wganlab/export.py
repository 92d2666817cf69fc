"""`wganlab export`: a run's generator in one .safetensors file (models/portable.py), to use anywhere with
`wganlab.load_generator`; and the generator of a run folder or checkpoint, which `load_generator` returns.

Nothing here reads the training data (a checkpoint records the shape of a sample), so a run whose data is gone
or on another machine is exported and sampled all the same.
"""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from wganlab import config as configuration
from wganlab import rundir
from wganlab.errors import UserError
from wganlab.files import refuse_to_replace, write_bytes_atomic
from wganlab.integrity import file_digest
from wganlab.models.portable import SUFFIX, TrainedGenerator, assemble, encode
from wganlab.training import checkpoint


def generator_of(
    target: Path, ema: bool = True, device: str | torch.device = "cpu", data_root: str | None = None
) -> TrainedGenerator:
    """The generator of a run folder's latest checkpoint (or a checkpoint file): its EMA copy when `ema` and the
    run keeps one, else the trained weights; with its provenance (run, checkpoint digest, metrics at that step).
    `data_root` points to the training data, read only for a checkpoint older than its record of the shape."""
    if target.suffix == SUFFIX:
        raise UserError(f"{target} is an exported generator already; give a run folder or a checkpoint-*.pt file")
    folder, path = rundir.resolve_checkpoint(target)
    payload = checkpoint.read_of_run(folder, path)
    config = checkpoint.config_of(payload)
    moved = config if data_root is None else configuration.with_values(config, {"data.root": data_root})
    shape = checkpoint.shape_of(payload, moved)
    use_ema = ema and payload.get("generator_ema") is not None
    weights = payload["generator_ema" if use_ema else "generator"]
    step = int(payload["step"])
    return assemble(weights, config, shape, use_ema, step, _provenance(folder, path, payload, step), device)


def _provenance(folder: Path | None, path: Path, payload: dict[str, Any], step: int) -> dict[str, Any]:
    """Where the weights come from: the run (id and folder), the checkpoint and its digest, and the run's
    evaluation at that step with its protocol (None where it made none)."""
    evaluation = None
    if folder is not None:
        evaluation = next((r for r in rundir.read_jsonl(folder / rundir.METRICS) if r["step"] == step), None)
    measured = None if evaluation is None else {k: v for k, v in evaluation.items() if k not in ("step", "protocol")}
    return {
        "run": payload.get("run"),
        "run_folder": str(folder.resolve()) if folder is not None else None,
        "checkpoint": str(path.resolve()),
        "checkpoint_sha256": file_digest(path),
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


def export(
    target: Path, out: Path | None = None, raw: bool = False, force: bool = False
) -> tuple[Path, TrainedGenerator]:
    """Write the generator of `target` (EMA by default) to `out` (default: RUN/generator-STEP.safetensors);
    returns the path and the generator."""
    if out is not None:
        _check_out(out, force)
    generator = generator_of(target, ema=not raw)
    if out is None:
        folder, path = rundir.resolve_checkpoint(target)
        where = folder if folder is not None else path.parent
        out = where / f"generator-{generator.step:07d}{'-raw' if raw else ''}{SUFFIX}"
        _check_out(out, force)
    write_bytes_atomic(out, encode(generator))
    return out, generator


def _check_out(out: Path, force: bool) -> None:
    if out.suffix != SUFFIX:
        raise UserError(f"--out {out} must end in {SUFFIX}: the file holds safetensors weights")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: its folder {out.parent} does not exist")
    refuse_to_replace(out, force)


def export_command(args: argparse.Namespace) -> int:
    """`wganlab export RUN`: the generator written to a .safetensors file, and how to load it."""
    out, generator = export(args.target, args.out, args.raw, args.force)
    which = "EMA generator" if generator.ema else "generator"
    made = "x".join(map(str, generator.shape)) + " images" if generator.value_range else "2-D points"
    print(f"wrote {out}: the {which} at step {generator.step} (latent {generator.latent_dim}, {made}); load it "
          f"with wganlab.load_generator({str(out)!r})")
    return 0
