"""The only code that reads or writes run folders.

A run folder `NNNNN-name/` holds config.json (the resolved config), stats.jsonl (training statistics),
metrics.jsonl (evaluations), diagnostics.jsonl (a probe of the critic per evaluation),
figures/, checkpoints/ and summary.json. Every JSON file is written
atomically; JSONL files are appended a line at a time and cut back to a checkpoint on resume.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wganlab.errors import UserError

CONFIG = "config.json"
STATS = "stats.jsonl"
METRICS = "metrics.jsonl"
DIAGNOSTICS = "diagnostics.jsonl"
SUMMARY = "summary.json"
FIGURES = "figures"
CHECKPOINTS = "checkpoints"
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK
_CHECKPOINT_NAME = re.compile(r"checkpoint-(\d+)\.pt$")


def create(root: Path, name: str) -> Path:
    """Make the next numbered run folder `root/NNNNN-name` (safe against a concurrent run taking a number)."""
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    while True:
        numbers = [int(p.name[:5]) for p in root.iterdir() if re.match(r"\d{5}-", p.name)]
        path = root / f"{max(numbers, default=-1) + 1:05d}-{slug}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        (path / FIGURES).mkdir()
        (path / CHECKPOINTS).mkdir()
        return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)  # mkstemp makes 0600 files; give what open() would have given
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, (json.dumps(value, indent=2, allow_nan=True) + "\n").encode())


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a") as stream:
        stream.write(json.dumps(record, allow_nan=True) + "\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with open(path) as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def truncate_jsonl(path: Path, last_step: int) -> None:
    """Drop records written after `last_step`, so a resumed run does not log those steps twice."""
    if not path.exists():
        return
    kept = [json.dumps(r, allow_nan=True) + "\n" for r in read_jsonl(path) if r["step"] <= last_step]
    atomic_write_bytes(path, "".join(kept).encode())


def require_run(folder: Path) -> None:
    """Raise a one-line UserError unless `folder` is a run folder (it has the config.json every run writes first)."""
    if not (folder / CONFIG).is_file():
        raise UserError(f"{folder} is not a run folder (no {CONFIG}); give a folder made by `wganlab train`")


def checkpoint_path(run: Path, step: int) -> Path:
    return run / CHECKPOINTS / f"checkpoint-{step:07d}.pt"


def checkpoints(run: Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    folder = run / CHECKPOINTS
    found = [p for p in folder.glob("checkpoint-*.pt") if _CHECKPOINT_NAME.search(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: int(_CHECKPOINT_NAME.search(p.name).group(1)))  # type: ignore[union-attr]


def resolve_checkpoint(target: Path) -> tuple[Path, Path]:
    """(run folder, checkpoint file) for a run folder (its latest checkpoint) or a checkpoint file."""
    if target.is_file():
        return target.parent.parent, target
    if not target.is_dir():
        raise UserError(f"{target} is neither a run folder nor a checkpoint file; give one of them")
    found = checkpoints(target)
    if not found:
        raise UserError(f"run folder {target} has no checkpoint in {target / CHECKPOINTS}; it cannot be resumed")
    return target, found[-1]


def prune_checkpoints(run: Path, keep: int) -> None:
    for old in checkpoints(run)[:-keep]:
        old.unlink(missing_ok=True)


def figure_path(run: Path, step: int) -> Path:
    return run / FIGURES / f"eval-{step:07d}.png"
