"""Every run keeps its best checkpoint; train.stop_on_plateau ends a run where quality stopped improving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tiny import TINY
from wganlab import cli, rundir
from wganlab.training import checkpoint

# a generator that cannot learn (learning rate 1e-12): W1 is noise around a level, so the plateau rule fires
FLAT = [*TINY, "--steps", "200", "--set", "eval.every=5", "--set", "eval.figures=false", "--set",
        "eval.diagnostics=false", "--set", "optim.lr_generator=1e-12", "--set", "train.checkpoint_every=50",
        "--set", "train.plateau_patience=3", "--set", "eval.w1_samples=100"]


def _only_run(root: Path) -> Path:
    (folder,) = [path for path in root.iterdir() if path.is_dir()]
    return folder


def _w1(folder: Path) -> list[tuple[int, float]]:
    return [(r["step"], r["w1_100"]) for r in rundir.read_jsonl(folder / rundir.METRICS)]


def test_a_run_stops_on_its_plateau_with_the_finding_and_keeps_its_best_checkpoint(tmp_path, capsys) -> None:
    assert cli.main(["train", *FLAT, "--set", "train.stop_on_plateau=true", "--outdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    folder = _only_run(tmp_path)
    (event,) = [e for e in rundir.read_jsonl(folder / rundir.EVENTS) if e["event"] == "plateau"]
    stopped = event["step"]
    assert stopped < 200 and f"step {stopped}: quality stopped improving at step {event['best_step']}" in out
    assert rundir.checkpoints(folder)[-1] == rundir.checkpoint_path(folder, stopped)  # resumable where it stopped
    assert json.loads((folder / rundir.SUMMARY).read_text())["step"] == stopped
    w1 = _w1(folder)
    assert w1[-1][0] == stopped
    best_step = min(w1, key=lambda pair: pair[1])[0]
    assert rundir.best_checkpoints(folder) == [(best_step, rundir.best_path(folder, best_step))]
    assert checkpoint.read(rundir.best_path(folder, best_step))["step"] == best_step  # a full, verified state
    assert cli.main(["diagnose", str(folder)]) == 0
    assert "The plateau rule stopped the run" in capsys.readouterr().out


def test_without_the_flag_the_run_goes_on_and_a_resume_forgets_a_best_from_the_abandoned_stretch(tmp_path) -> None:
    assert cli.main(["train", *FLAT, "--set", "train.keep_checkpoints=10", "--outdir", str(tmp_path)]) == 0
    folder = _only_run(tmp_path)
    assert _w1(folder)[-1][0] == 200
    best_step = min(_w1(folder), key=lambda pair: pair[1])[0]
    assert rundir.best_checkpoint(folder) == rundir.best_path(folder, best_step)
    back_to = max(step for step in (50, 100, 150) if step < best_step) if best_step > 50 else None
    if back_to is None:
        pytest.fail("the best evaluation came before the first checkpoint: choose another seed for this test")
    for later in rundir.checkpoints(folder):
        if int(later.stem.split("-")[1]) > back_to:
            later.unlink()
    assert cli.main(["train", "--resume", str(folder), "--steps", str(back_to + 10)]) == 0
    # the best file went with the abandoned stretch: the best is taken again from the evaluations after the resume
    kept = rundir.best_checkpoints(folder)
    after = [pair for pair in _w1(folder) if pair[0] > back_to]
    assert kept == [(min(after, key=lambda pair: pair[1])[0], rundir.best_path(folder, kept[0][0]))]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["train.stop_on_plateau=true", "eval.every=0"], "needs evaluations along the way"),
        (["train.plateau_patience=1"], "plateau_patience must be >= 2"),
    ],
)
def test_a_plateau_setting_that_cannot_work_is_one_line(settings, message, tmp_path, capsys) -> None:
    overrides = [part for setting in settings for part in ("--set", setting)]
    assert cli.main(["train", *TINY, *overrides, "--outdir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_a_sweep_refuses_to_stop_members_on_a_plateau(tmp_path, capsys) -> None:
    command = ["sweep", *TINY, "--set", "train.stop_on_plateau=true", "--seeds", "0-1", "--outdir", str(tmp_path)]
    assert cli.main(command) == 2
    assert "does not stop one on a plateau" in capsys.readouterr().err
