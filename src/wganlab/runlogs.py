"""A run folder read back whole, as typed `RunLogs`: what `wganlab diagnose`, the reports and the claims read.

`rundir.py` names the folder's files and writes them; this module only reads: the config (typed and checked), the
JSONL logs (a line cut short by a crash is skipped), summary.json, the evaluation figures, and a sweep's members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wganlab import config as configuration
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.files import parse_json
from wganlab.rundir import (
    CONFIG,
    DIAGNOSTICS,
    EVENTS,
    FIGURE_NAME,
    FIGURES,
    METRICS,
    STATS,
    SUMMARY,
    SWEEP,
    Record,
    is_run,
    read_jsonl,
    require_run,
)


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
    events: list[Record] = field(default_factory=list)  # events.jsonl: non-finite steps, rollbacks

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


def read_config(folder: Path) -> Config:
    """A run folder's config.json, typed; a damaged or invalid file is a one-line UserError naming it."""
    path = folder / CONFIG
    try:
        raw = parse_json(path.read_bytes())
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not valid JSON ({error}); restore it from a checkpoint with --resume") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path} holds {type(raw).__name__}, not a config; restore it from a checkpoint with --resume")
    try:
        return configuration.from_dict(raw)
    except UserError as error:
        raise UserError(f"{path} is not a valid config ({error})") from None


def expand_sweeps(folders: list[Path]) -> list[Path]:
    """Run folders as given, with each sweep folder (one holding sweep.json) replaced by its members' run folders."""
    expanded: list[Path] = []
    for folder in folders:
        path = folder / SWEEP
        if is_run(folder) or not path.is_file():
            expanded.append(folder)
            continue
        try:
            members = parse_json(path.read_bytes())["members"]
            expanded += [folder / member["folder"] for member in members]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"{path} is not a sweep's record ({error}); give its members' folders instead") from None
    return expanded


def read_run(folder: Path) -> RunLogs:
    """Read a run folder made by `wganlab train`; a folder without config.json is a user error."""
    require_run(folder)
    summary_path = folder / SUMMARY
    found = [(FIGURE_NAME.search(path.name), path) for path in (folder / FIGURES).glob("eval-*.png")]
    return RunLogs(
        folder=folder,
        config=read_config(folder),
        stats=list(read_jsonl(folder / STATS)),
        metrics=list(read_jsonl(folder / METRICS)),
        diagnostics=list(read_jsonl(folder / DIAGNOSTICS)),
        summary=_read_summary(summary_path),
        events=list(read_jsonl(folder / EVENTS)),
        figures=sorted((int(match.group(1)), path) for match, path in found if match and _is_png(path)),
    )


def _is_png(path: Path) -> bool:
    """A figure a crash or a full disk left empty or damaged is left out of the run's figures."""
    try:
        with open(path, "rb") as stream:
            return stream.read(8) == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 8
    except OSError:
        return False


def _read_summary(path: Path) -> Record | None:
    """summary.json, or None before the run first finished; a damaged one is rewritten at the next finish, so
    it is read as absent."""
    try:
        summary = parse_json(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return summary if isinstance(summary, dict) else None
