"""A run's diagnosis from its logs: a fresh probe is the latest point of the history and replaces its own step."""

from __future__ import annotations

from pathlib import Path

from wganlab import config as configuration
from wganlab.diagnostics.diagnosis import diagnose_logs
from wganlab.runlogs import RunLogs

NONFINITE = "Non-finite values"


def logs(diagnostics: list[dict], metrics: list[dict] | None = None) -> RunLogs:
    config = configuration.load()
    return RunLogs(Path("run"), config, [], metrics or [], diagnostics, summary=None, figures=[])


def titles(diagnosis) -> list[str]:
    return [finding.title for finding in diagnosis.findings]


def test_a_fresh_probe_replaces_the_logged_probe_of_its_step():
    logged = [{"step": 10, "nonfinite/parameters": 0.0}, {"step": 20, "nonfinite/parameters": 3.0}]
    history = logs(logged)
    assert titles(diagnose_logs(history)) == [NONFINITE]  # the logged probe at step 20 saw nan parameters
    fresh = {"step": 20, "nonfinite/parameters": 0.0}
    diagnosis = diagnose_logs(history, fresh)
    assert diagnosis.step == 20 and diagnosis.probe == fresh and diagnosis.folder == Path("run")
    assert NONFINITE not in titles(diagnosis)  # the step-20 record was replaced, not joined
    later = diagnose_logs(history, {"step": 30, "nonfinite/parameters": 0.0})
    assert later.step == 30 and titles(later) == [NONFINITE]  # another step: the logged step 20 still counts
    assert history.diagnostics == logged  # the logs themselves are not changed


def test_the_fresh_probe_is_the_latest_for_the_findings():
    history = logs([{"step": 10, "lipschitz/real": 1.0}])
    diagnosis = diagnose_logs(history, {"step": 10, "lipschitz/real": 40.0})
    assert titles(diagnosis) == ["Critic far from 1-Lipschitz"]
    assert "step 10" in diagnosis.findings[0].evidence


def test_without_a_probe_the_step_is_the_last_logged_probe():
    diagnosis = diagnose_logs(logs([{"step": 10}, {"step": 40}]))
    assert diagnosis.step == 40 and diagnosis.probe == {}
    assert diagnose_logs(logs([{"step": 10}]), {}).step == 10  # an empty probe is no probe


def test_empty_logs():
    diagnosis = diagnose_logs(logs([]))
    assert diagnosis.step == 0 and diagnosis.probe == {} and diagnosis.findings == [] and diagnosis.tracking is None


def test_tracking_comes_from_the_stats_and_metrics():
    metrics = [{"step": 10 * i, "w1_2000": 1.0 / i} for i in range(1, 4)]
    diagnosis = diagnose_logs(logs([], metrics))
    assert diagnosis.tracking is not None
    assert diagnosis.tracking.metric == "w1_2000" and diagnosis.tracking.evaluations == 0  # no estimate logged
