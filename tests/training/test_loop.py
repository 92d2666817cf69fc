"""The training loop: a run folder only for a good config, logs and evaluations on their cadences,
checkpoints pruned, a summary at the end, resume only where there is something left to train."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.errors import UserError
from wganlab.training import loop
from wganlab.training.build import build, resolved
from wganlab.training.loop import fit
from wganlab.training.session import resume, start
from wganlab.training.streams import EVALUATION, step_seed

TINY = [
    "model.width=16",
    "model.depth=1",
    "train.batch_size=32",
    "train.critic_iters=1",
    "eval.samples=100",
    "eval.w1_samples=100",
    "eval.figures=false",
]


def _config(*overrides: str) -> Config:
    return configuration.load(None, "grid", [*TINY, *overrides])


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _trained(tmp_path: Path, *overrides: str) -> Path:
    folder, run, state = start(_config(*overrides), tmp_path / "runs")
    fit(folder, run, state, console=io.StringIO())
    return folder


def test_start_writes_config_json_into_a_new_run_folder(tmp_path: Path) -> None:
    config = _config("train.steps=3")
    folder, run, state = start(config, tmp_path / "runs")
    assert folder == tmp_path / "runs" / "00000-grid-grid"
    saved = json.loads((folder / "config.json").read_text())
    assert configuration.from_dict(saved) == run.config == resolved(config)[0]  # "auto" as this machine runs it
    assert config.train.device == "auto" and run.config.train.device in ("cpu", "cuda")
    assert saved["train"]["steps"] == 3 and saved["model"]["width"] == 16
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "checkpoints", "config.json", "figures", "run.json"]
    assert state.step == 0
    second, _, _ = start(config, tmp_path / "runs")
    assert second.name == "00001-grid-grid"


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ('objective.penalty="nope"', "unknown objective.penalty 'nope'"),
        ('model.arch="dcgan"', "needs image data"),
        ('data.name="mnist"', "mnist"),  # image data read from local files: no root given
    ],
)
def test_start_with_a_bad_config_makes_no_folder(tmp_path: Path, override: str, needle: str) -> None:
    outdir = tmp_path / "runs"
    with pytest.raises(UserError) as error:
        start(_config(override), outdir)
    assert needle in str(error.value) and len(str(error.value).splitlines()) == 1
    assert not outdir.exists()


def test_fit_logs_evaluates_checkpoints_and_summarises(tmp_path: Path) -> None:
    folder, run, state = start(
        _config(
            "train.steps=6",
            "optim.decay_steps=6",
            "train.log_every=2",
            "eval.every=4",
            "train.checkpoint_every=1",
            "train.keep_checkpoints=2",
        ),
        tmp_path / "runs",
    )
    console = io.StringIO()
    summary = fit(folder, run, state, console=console)

    stats = _records(folder / "stats.jsonl")
    assert [s["step"] for s in stats] == [2, 4, 6]
    assert {"critic/loss", "critic/estimate", "critic/penalty", "generator/loss", "lr/generator"} <= set(stats[0])
    # the grid preset's lr 5e-4 falls linearly to 0 over optim.decay_steps; logged after the step's scheduler update
    lrs = torch.tensor([s["lr/generator"] for s in stats], dtype=torch.float64)
    assert_close(lrs, torch.tensor([5e-4 * (1 - k / 6) for k in (2, 4, 6)], dtype=torch.float64))
    times = [s["time/train_seconds"] for s in stats]
    assert 0 < times[0] < times[1] < times[2] == pytest.approx(state.train_seconds, rel=1e-12)

    metrics = _records(folder / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [4, 6]  # every 4 steps, and at the end
    assert {"w1_100", "modes_100", "critic_estimate"} <= set(metrics[-1])
    assert [d["step"] for d in _records(folder / "diagnostics.jsonl")] == [4, 6]
    assert [p.name for p in rundir.checkpoints(folder)] == ["checkpoint-0000005.pt", "checkpoint-0000006.pt"]
    assert [line.split()[1] for line in console.getvalue().splitlines()] == ["4/6", "6/6"]

    written = json.loads((folder / "summary.json").read_text())
    assert written["step"] == summary.step == state.step == 6
    assert written["metrics"] == summary.metrics == {k: v for k, v in metrics[-1].items() if k != "step"}
    assert written["run_train_seconds"] == summary.run_train_seconds == state.train_seconds
    assert summary.run == folder and summary.train_seconds > 0
    assert_close(summary.generator_steps_per_second, 6 / summary.train_seconds)


def test_fit_with_eval_every_zero_evaluates_only_at_the_end(tmp_path: Path) -> None:
    folder = _trained(tmp_path, "train.steps=3", "eval.every=0", "train.checkpoint_every=2", "eval.diagnostics=false")
    assert [m["step"] for m in _records(folder / "metrics.jsonl")] == [3]
    assert not (folder / "diagnostics.jsonl").exists()
    # checkpoints on the cadence and at the end; the grid default keeps 3
    assert [p.name for p in rundir.checkpoints(folder)] == ["checkpoint-0000002.pt", "checkpoint-0000003.pt"]


@pytest.mark.parametrize(("steps", "then"), [(3, "wganlab evaluate"), (5, "wganlab train --resume")])
def test_a_failed_evaluation_never_costs_the_run_its_checkpoint(tmp_path: Path, monkeypatch, steps: int,
                                                                then: str) -> None:
    """The final evaluation (or one on the way, between checkpoints) fails: the step's checkpoint is written
    before the error goes on, and a line says where it is and what takes it from there."""
    def fails_at_step_3(folder, run, state):
        if state.step == 3:
            raise RuntimeError("the evaluation failed")
        return {}

    monkeypatch.setattr(loop, "evaluate", fails_at_step_3)
    folder, run, state = start(_config(f"train.steps={steps}", "eval.every=3", "train.checkpoint_every=100"),
                               tmp_path / "runs")
    console = io.StringIO()
    with pytest.raises(RuntimeError, match="the evaluation failed"):
        fit(folder, run, state, console=console)
    assert [p.name for p in rundir.checkpoints(folder)] == ["checkpoint-0000003.pt"]
    line = console.getvalue().splitlines()[-1]
    assert line.startswith("the evaluation at step 3 failed; the step's checkpoint is kept (") and then in line
    if steps > 3:
        monkeypatch.undo()
        _, run, state = resume(folder)
        assert state.step == 3
        assert fit(folder, run, state, console=io.StringIO()).step == 5


def test_resume_refuses_a_run_already_at_its_last_step(tmp_path: Path) -> None:
    folder = _trained(tmp_path, "train.steps=2", "eval.every=0")
    before = sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    with pytest.raises(UserError) as error:
        resume(folder)
    message = str(error.value)
    assert len(message.splitlines()) == 1
    assert "already at step 2 of 2" in message and "--steps N (N > 2)" in message
    assert sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*")) == before  # nothing written

    _, run, state = resume(folder, steps=3)
    assert state.step == 2 and run.config.train.steps == 3
    assert json.loads((folder / "config.json").read_text())["train"]["steps"] == 3


def test_resume_cuts_the_logs_back_to_the_checkpoint(tmp_path: Path) -> None:
    folder = _trained(tmp_path, "train.steps=4", "train.log_every=1", "eval.every=1", "train.checkpoint_every=2")
    rundir.checkpoint_path(folder, 4).unlink()  # as if killed between the step-2 and step-4 checkpoints
    _, _, state = resume(folder)
    assert state.step == 2
    assert [s["step"] for s in _records(folder / "stats.jsonl")] == [1, 2]
    assert [m["step"] for m in _records(folder / "metrics.jsonl")] == [1, 2]
    assert [d["step"] for d in _records(folder / "diagnostics.jsonl")] == [1, 2]


def test_measure_uses_the_evaluation_stream_and_leaves_the_critic_training() -> None:
    run, state = build(_config())
    state.step = 7
    measured = loop.measure(run, state)
    assert state.critic.training
    state.critic.eval()
    expected = run.evaluator.measure(state.sampler, state.critic, seed=step_seed(0, 7, EVALUATION))
    assert measured.metrics == expected.metrics
