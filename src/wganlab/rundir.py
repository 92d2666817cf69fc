"""Run folders: their layout, making one, writing their files, the writer's lock and the checkpoint files in them.

A run folder `NNNNN-name/` holds run.json (the run's id, which its checkpoints carry), config.json (the resolved
config), stats.jsonl (training statistics),
metrics.jsonl (evaluations), diagnostics.jsonl (a probe of the critic per evaluation), figures/,
checkpoints/ and summary.json. JSON files are written atomically; JSONL files are appended a line at a
time and cut back to a checkpoint on resume. Reading a whole folder back as typed `RunLogs` is `runlogs.py`'s;
the two are the only code that reads or writes run folders.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.files import parse_json, write_bytes_atomic, write_json_atomic

IDENTITY = "run.json"  # {"id": 32 hex digits}, made with the folder; every checkpoint of the run carries the id
CONFIG = "config.json"
STATS = "stats.jsonl"
METRICS = "metrics.jsonl"
DIAGNOSTICS = "diagnostics.jsonl"
SUMMARY = "summary.json"
SWEEP = "sweep.json"  # in a sweep's folder (wganlab sweep): its grid, seeds and member run folders
EVENTS = "events.jsonl"  # what the run met on its way: a non-finite step, a rollback (never cut back)
FIGURES = "figures"
CHECKPOINTS = "checkpoints"
_CHECKPOINT_NAME = re.compile(r"checkpoint-(\d+)\.pt$")
_BEST_NAME = re.compile(r"^best-(\d+)\.pt$")  # the best evaluation's full checkpoint, beside the last ones
FIGURE_NAME = re.compile(r"eval-(\d+)\.png$")
_RUN_NAME = re.compile(r"(\d+)-")
_RESERVED = re.compile(r"\.reserving-(\d+)$")
LOCK = ".lock"
_RUN_ID = re.compile(r"[0-9a-f]{32}")  # what run.json's id and a checkpoint's "run" must be

Record = dict[str, Any]  # one line of a JSONL log


def create(root: Path, name: str, run: bool = True) -> Path:
    """Make the next numbered run folder `root/NNNNN-name` (with its figures/ and checkpoints/ unless `run` is
    False, as for a sweep's folder, which holds run folders): numbers of any width are counted, and a number is
    reserved (an exclusive marker file) before its folder is made, so concurrent processes never share one."""
    if root.exists() and not root.is_dir():
        raise UserError(f"--outdir {root} is not a folder; choose another --outdir")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or error
        raise UserError(f"cannot make the output folder {root}: {reason}; choose another --outdir") from None
    if not root.is_dir():
        raise UserError(f"--outdir {root} is not a folder; choose another --outdir")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    while True:
        number = max(_numbers(root), default=-1) + 1
        marker = root / f".reserving-{number}"
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue  # another process is making this number's folder: count again
        try:
            if number in _numbers(root, reserved=False):
                continue  # made between the count and the reservation
            path = root / f"{number:05d}-{slug}"
            path.mkdir()
            if run:
                (path / FIGURES).mkdir()
                (path / CHECKPOINTS).mkdir()
                write_json_atomic(path / IDENTITY, {"id": uuid.uuid4().hex})
            return path
        finally:
            marker.unlink(missing_ok=True)


def _numbers(root: Path, reserved: bool = True) -> list[int]:
    """The numbers of the run folders in root (NNNNN-name, any number of digits) and, with `reserved`, of the
    numbers other processes are reserving."""
    found = []
    for entry in root.iterdir():
        match = _RUN_NAME.match(entry.name) or (_RESERVED.match(entry.name) if reserved else None)
        if match:
            found.append(int(match.group(1)))
    return found


def write_config(run: Path, config: Config) -> None:
    write_json_atomic(run / CONFIG, configuration.to_dict(config))


def write_summary(run: Path, summary: Record) -> None:
    write_json_atomic(run / SUMMARY, summary)


def append_jsonl(path: Path, record: Record) -> None:
    with open(path, "a") as stream:
        stream.write(json.dumps(record, allow_nan=True) + "\n")


def read_jsonl(path: Path) -> Iterator[Record]:
    """The records of a JSONL log. A last line cut short (what a crash mid-write leaves) is skipped; a damaged
    line elsewhere is a one-line UserError naming the file and line."""
    if not path.exists():
        return
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = parse_json(line)
            if not isinstance(record, dict) or not isinstance(record.get("step"), int):
                raise ValueError("not a record with a step")
        except (ValueError, UnicodeDecodeError) as error:
            if number == len(lines):  # no newline after it: the write was cut short
                return
            raise UserError(f"{path} line {number} is damaged ({error}); remove that line or restore the file") \
                from None
        yield record


def truncate_jsonl(path: Path, last_step: int) -> None:
    """Drop records written after `last_step`, so a resumed run does not log those steps twice."""
    if not path.exists():
        return
    kept = [json.dumps(r, allow_nan=True) + "\n" for r in read_jsonl(path) if r["step"] <= last_step]
    write_bytes_atomic(path, "".join(kept).encode())


def is_run(folder: Path) -> bool:
    """A run folder has the config.json every run writes first."""
    return (folder / CONFIG).is_file()


def require_run(folder: Path) -> None:
    """Raise a one-line UserError unless `folder` is a run folder."""
    if not is_run(folder):
        raise UserError(f"{folder} is not a run folder (no {CONFIG}); give a folder made by `wganlab train`")


def run_id(folder: Path) -> str | None:
    """The id of the run folder (None for a folder made before runs had ids); a damaged run.json is one line."""
    path = folder / IDENTITY
    if not path.exists():
        return None
    try:
        found = parse_json(path.read_bytes()).get("id")
    except (OSError, ValueError, AttributeError):
        found = None
    if not (isinstance(found, str) and _RUN_ID.fullmatch(found)):
        raise UserError(f"{path} is damaged (it holds no run id); restore it from a copy of the run folder")
    return found


def check_belongs(folder: Path, checkpoint: Path, carried: object) -> None:
    """Refuse, in one line, a checkpoint that carries another run's id (or none, or no id at all) than its run
    folder's: a file copied between run folders is never measured, sampled or resumed as the folder's run."""
    own = run_id(folder)
    carried = carried if isinstance(carried, str) and _RUN_ID.fullmatch(carried) else None
    if own is not None and carried != own:
        other = f"run {carried}" if carried else "no run (it carries no run id)"
        raise UserError(f"{checkpoint} belongs to {other}, not to {folder} (run {own}): it was copied from another "
                        "run folder; give its own run folder, or the file outside any run folder")


def write_sweep(folder: Path, record: Record) -> None:
    write_json_atomic(folder / SWEEP, record)


def checkpoint_path(run: Path, step: int) -> Path:
    return run / CHECKPOINTS / f"checkpoint-{step:07d}.pt"


def checkpoints(run: Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    folder = run / CHECKPOINTS
    found = [p for p in folder.glob("checkpoint-*.pt") if _CHECKPOINT_NAME.search(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: int(_CHECKPOINT_NAME.search(p.name).group(1)))  # type: ignore[union-attr]


def has_checkpoint(target: Path) -> bool:
    """A checkpoint file, or a folder with at least one checkpoint."""
    return target.is_file() or bool(checkpoints(target))


def run_of(checkpoint: Path) -> Path | None:
    """The run folder a checkpoint file sits in (in its checkpoints/), or None for a loose one."""
    folder = checkpoint.parent.parent
    return folder if checkpoint.parent.name == CHECKPOINTS and is_run(folder) else None


def resolve_checkpoint(target: Path) -> tuple[Path | None, Path]:
    """(run folder, checkpoint file) for a run folder (its latest checkpoint) or a checkpoint file; the folder
    is None for a loose checkpoint, one that does not sit in a run folder's checkpoints/."""
    if target.is_file():
        return run_of(target), target
    if not target.is_dir():
        raise UserError(f"{target} is neither a run folder nor a checkpoint file; give one of them")
    found = checkpoints(target)
    if not found:
        raise UserError(f"{target} has no checkpoint in {target / CHECKPOINTS}: give a run folder that has one, or a "
                        "checkpoint file")
    return target, found[-1]


class RunLock:
    """Held while a process writes a run folder: an advisory lock on `.lock` (released by the system if the
    process dies) holding the writer's pid. A second writer is refused in one line naming the first."""

    def __init__(self, run: Path) -> None:
        self.path = run / LOCK
        self._file = open(self.path, "a+")  # noqa: SIM115 - held open for the run's life
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise UserError(
                f"{run} is being trained by process {holder} (it holds {self.path}); wait for it to finish or stop it"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        if not self._file.closed:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()


def remove_temporaries(run: Path) -> list[Path]:
    """Temporary files that interrupted atomic writes left in the run folder (call with the run's lock held)."""
    found = [p for folder in (run, run / CHECKPOINTS) if folder.is_dir() for p in folder.glob(".*.tmp")]
    for path in found:
        path.unlink(missing_ok=True)
    return found


def best_path(run: Path, step: int) -> Path:
    return run / CHECKPOINTS / f"best-{step:07d}.pt"


def best_checkpoints(run: Path) -> list[tuple[int, Path]]:
    """(step, file) of the run's best-*.pt, oldest first (one, except for a moment while a better one is written)."""
    folder = run / CHECKPOINTS
    found = [(_BEST_NAME.match(p.name), p) for p in folder.glob("best-*.pt")] if folder.is_dir() else []
    return sorted((int(match.group(1)), path) for match, path in found if match)


def best_checkpoint(run: Path) -> Path | None:
    """The checkpoint of the run's best evaluation by its quality metric (W1 on 2-D data, FID on images)."""
    found = best_checkpoints(run)
    return found[-1][1] if found else None


def cut_back(run: Path, step: int) -> None:
    """Forget what the run wrote after `step` (a resume or a rollback goes back there): its log lines, and a best
    checkpoint from that abandoned stretch."""
    for log in (STATS, METRICS, DIAGNOSTICS):
        truncate_jsonl(run / log, step)
    for best_step, path in best_checkpoints(run):
        if best_step > step:
            path.unlink(missing_ok=True)


def prune_checkpoints(run: Path, keep: int) -> None:
    for old in checkpoints(run)[:-keep]:
        old.unlink(missing_ok=True)


def figure_path(run: Path, step: int) -> Path:
    return run / FIGURES / f"eval-{step:07d}.png"
