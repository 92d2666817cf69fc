"""A run folder read back whole (runlogs.py): the typed config, the logs, the summary and the figures."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wganlab import config as configuration
from wganlab import rundir, runlogs
from wganlab.errors import UserError


def write_logs(run: Path) -> configuration.Config:
    config = configuration.load(overrides=["train.steps=30", "eval.metrics=[\"fid\"]"])
    rundir.write_config(run, config)
    for step in (10, 20, 30):
        rundir.append_jsonl(run / rundir.STATS, {"step": step, "critic/loss": -step / 10})
    rundir.append_jsonl(run / rundir.METRICS, {"step": 10, "w1_200": 0.5, "protocol": {"extractor": "a"}})
    rundir.append_jsonl(run / rundir.METRICS, {"step": 20, "w1_200": 0.25, "reverse_kl_200": math.nan})
    rundir.append_jsonl(run / rundir.DIAGNOSTICS, {"step": 20, "lipschitz/real": 1.5})
    for step in (20, 100, 3):
        rundir.figure_path(run, step).write_bytes(b"\x89PNG\r\n\x1a\n" + b"a figure")
    (run / rundir.FIGURES / "eval-latest.png").write_bytes(b"not numbered")
    return config


def test_read_run_gives_typed_config_and_logs(tmp_path: Path):
    run = rundir.create(tmp_path, "run")
    config = write_logs(run)
    logs = runlogs.read_run(run)
    assert logs.config == config and logs.config.eval.metrics == ("fid",) and logs.name == "00000-run"
    assert [r["step"] for r in logs.stats] == [10, 20, 30] and logs.stats[1]["critic/loss"] == -2.0
    assert math.isnan(logs.metrics[1]["reverse_kl_200"])
    assert logs.diagnostics == [{"step": 20, "lipschitz/real": 1.5}]
    assert logs.summary is None
    assert logs.figures == [(3, rundir.figure_path(run, 3)), (20, rundir.figure_path(run, 20)),
                            (100, rundir.figure_path(run, 100))]


def test_run_logs_properties(tmp_path: Path):
    run = rundir.create(tmp_path, "run")
    write_logs(run)
    logs = runlogs.read_run(run)
    assert logs.step == 30  # the stats go further than the metrics
    assert logs.final_metrics.keys() == {"w1_200", "reverse_kl_200"}  # the last evaluation, no step or protocol
    assert logs.protocol == {"extractor": "a"}  # the latest evaluation that has one
    rundir.write_summary(run, {"step": 40, "metrics": {"w1_200": 0.125}})
    finished = runlogs.read_run(run)
    assert finished.step == 40 and finished.final_metrics == {"w1_200": 0.125}


def test_a_folder_without_config_is_a_one_line_user_error(tmp_path: Path):
    partial = tmp_path / "00000-crashed"
    (partial / rundir.CHECKPOINTS).mkdir(parents=True)
    rundir.append_jsonl(partial / rundir.STATS, {"step": 1})
    assert not rundir.is_run(partial)
    with pytest.raises(UserError) as info:
        runlogs.read_run(partial)
    assert str(info.value) == f"{partial} is not a run folder (no config.json); give a folder made by `wganlab train`"
