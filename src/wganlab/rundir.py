"""The only code that reads or writes run folders.

A run folder `NNNNN-name/` holds config.json (the resolved config), stats.jsonl (training statistics),
metrics.jsonl (evaluations), diagnostics.jsonl (a probe of the critic per evaluation), figures/,
checkpoints/ and summary.json. JSON files are written atomically; JSONL files are appended a line at a
time and cut back to a checkpoint on resume. `read_run` reads a whole folder back as typed `RunLogs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.files import write_bytes_atomic, write_json_atomic

CONFIG = "config.json"
STATS = "stats.jsonl"
METRICS = "metrics.jsonl"
DIAGNOSTICS = "diagnostics.jsonl"
SUMMARY = "summary.json"
FIGURES = "figures"
CHECKPOINTS = "checkpoints"
_CHECKPOINT_NAME = re.compile(r"checkpoint-(\d+)\.pt$")
_FIGURE_NAME = re.compile(r"eval-(\d+)\.png$")

Record = dict[str, Any]  # one line of a JSONL log


@dataclass(frozen=True)
class RunLogs:
    """What a run folder holds, read once: its config (typed), its logs and its evaluation figures."""

    folder: Path
    config: Config
    stats: list[Record]
    metrics: list[Record]
    diagnostics: list[Record]
    summary: Record | None  # None until the run has finished once
    figures: list[tuple[int, Path]]  # (step, figures/eval-NNNNNNN.png), oldest first

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def step(self) -> int:
        """The last step the folder knows of (logs or summary)."""
        steps = [int(r["step"]) for r in self.stats + self.metrics] + [int((self.summary or {}).get("step", 0))]
        return max(steps)

    @property
    def final_metrics(self) -> Record:
        """The last evaluation's numbers (summary.json's when the run finished), without step and protocol."""
        if self.summary and self.summary.get("metrics"):
            return dict(self.summary["metrics"])
        last = self.metrics[-1] if self.metrics else {}
        return {k: v for k, v in last.items() if k not in ("step", "protocol")}

    @property
    def protocol(self) -> Record | None:
        """The image-metric protocol (extractor, weights, sample counts) of the latest evaluation that has one."""
        return next((r["protocol"] for r in reversed(self.metrics) if isinstance(r.get("protocol"), dict)), None)


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


def write_config(run: Path, config: Config) -> None:
    write_json_atomic(run / CONFIG, configuration.to_dict(config))


def write_summary(run: Path, summary: Record) -> None:
    write_json_atomic(run / SUMMARY, summary)


def append_jsonl(path: Path, record: Record) -> None:
    with open(path, "a") as stream:
        stream.write(json.dumps(record, allow_nan=True) + "\n")


def read_jsonl(path: Path) -> Iterator[Record]:
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
    write_bytes_atomic(path, "".join(kept).encode())


def is_run(folder: Path) -> bool:
    """A run folder has the config.json every run writes first."""
    return (folder / CONFIG).is_file()


def require_run(folder: Path) -> None:
    """Raise a one-line UserError unless `folder` is a run folder."""
    if not is_run(folder):
        raise UserError(f"{folder} is not a run folder (no {CONFIG}); give a folder made by `wganlab train`")


def read_run(folder: Path) -> RunLogs:
    """Read a run folder made by `wganlab train`; a folder without config.json is a user error."""
    require_run(folder)
    summary_path = folder / SUMMARY
    found = [(_FIGURE_NAME.search(path.name), path) for path in (folder / FIGURES).glob("eval-*.png")]
    return RunLogs(
        folder=folder,
        config=configuration.from_dict(json.loads((folder / CONFIG).read_text())),
        stats=list(read_jsonl(folder / STATS)),
        metrics=list(read_jsonl(folder / METRICS)),
        diagnostics=list(read_jsonl(folder / DIAGNOSTICS)),
        summary=json.loads(summary_path.read_text()) if summary_path.is_file() else None,
        figures=sorted((int(match.group(1)), path) for match, path in found if match),
    )


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
