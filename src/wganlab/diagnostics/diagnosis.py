"""A run's diagnosis: a probe of its latest checkpoint, the findings its logs support, and how its estimate tracked.

Assembled from what the run folder holds plus, when given, a fresh probe: that probe is the latest point of
the diagnostics history (it replaces a logged probe of the same step), so the findings judge the critic as
it is now.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from wganlab.diagnostics.findings import Finding, HeldoutGaps, find, run_heldout_gaps, run_stopping
from wganlab.diagnostics.probe import ProbeRecord
from wganlab.diagnostics.stopping import StoppingReport
from wganlab.diagnostics.tracking import Tracking, run_tracking
from wganlab.runlogs import RunLogs


@dataclass(frozen=True)
class Diagnosis:
    folder: Path
    step: int  # of the fresh probe, else of the last logged probe (0 when there is neither)
    probe: ProbeRecord  # a fresh probe of the checkpoint, with its "step" (empty when the run has no checkpoint)
    findings: list[Finding]
    tracking: Tracking | None  # how the critic's estimate followed the quality metric; None without one
    stopping: StoppingReport | None = None  # when quality stopped improving; None without enough evaluations
    heldout: HeldoutGaps | None = None  # the train vs held-out critic gap over the probes; None with fewer than 3


def diagnose_logs(logs: RunLogs, probe: ProbeRecord | None = None) -> Diagnosis:
    """The diagnosis of a run from its logs and an optional fresh probe (a record with its "step")."""
    logged = list(logs.diagnostics)
    if probe:
        step = int(probe["step"])  # type: ignore[arg-type]
        logged = [record for record in logged if record["step"] != step] + [probe]
    else:
        step = int(logged[-1]["step"]) if logged else 0
    probed = dataclasses.replace(logs, diagnostics=logged)
    tracking = run_tracking(logs.stats, logs.metrics)
    return Diagnosis(logs.folder, step, probe or {}, find(probed), tracking, run_stopping(logs),
                     run_heldout_gaps(probed))
