"""`wganlab diagnose RUN`: a fresh probe of the latest checkpoint plus findings from the run's logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from wganlab import rundir
from wganlab.diagnostics.findings import Finding, History, find
from wganlab.diagnostics.probe import Record
from wganlab.diagnostics.tracking import Tracking, run_tracking


@dataclass(frozen=True)
class Diagnosis:
    folder: Path
    step: int
    probe: Record  # a fresh probe of the checkpoint (empty when the run has no checkpoint)
    findings: list[Finding]
    tracking: Tracking | None  # how the critic's estimate followed the quality metric; None without one


def read_history(folder: Path) -> History:
    """The run's logs as plain records; a folder that is not a run is a one-line user error."""
    rundir.require_run(folder)
    return History(
        config=json.loads((folder / rundir.CONFIG).read_text()),
        stats=list(rundir.read_jsonl(folder / rundir.STATS)),
        metrics=list(rundir.read_jsonl(folder / rundir.METRICS)),
        diagnostics=list(rundir.read_jsonl(folder / rundir.DIAGNOSTICS)),
    )


def _fresh_probe(target: Path) -> tuple[int, Record]:
    from wganlab.training import loop
    from wganlab.training.probing import build_prober

    _, run, state = loop.load(target)
    prober = build_prober(run.config, run.dataset, run.objective.loss.critic)
    return state.step, {"step": state.step} | prober.probe(state, seed=run.config.train.seed * 1_000_003 + 7)


def diagnose(target: Path) -> Diagnosis:
    """Diagnose a run folder (its latest checkpoint) or a checkpoint file."""
    has_checkpoint = target.is_file() or bool(rundir.checkpoints(target))
    folder = rundir.resolve_checkpoint(target)[0] if has_checkpoint else target
    history = read_history(folder)
    step, probe = _fresh_probe(target) if has_checkpoint else (0, {})
    if not probe and history.diagnostics:
        step = int(history.diagnostics[-1]["step"])
    logged = list(history.diagnostics)
    if probe:  # the fresh probe is the latest point of the history (replacing a logged probe of the same step)
        logged = [record for record in logged if record["step"] != step] + [probe]
    findings = find(History(history.config, history.stats, history.metrics, logged))
    return Diagnosis(folder, step, probe, findings, run_tracking(history.stats, history.metrics))
