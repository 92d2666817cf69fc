"""The non-finite guard: a broken run stops with a line naming the step and the quantity, keeps its last finite
checkpoint, or rolls back with lower learning rates (training/guard.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from tests.hostile import refused
from tests.tiny import TINY
from wganlab import cli, rundir, runlogs
from wganlab.training import checkpoint, guard, loop

STEADY = [*TINY, "--steps", "30", "--set", "train.checkpoint_every=10", "--set", "eval.every=0",
          "--set", "train.keep_checkpoints=1", "--set", "train.log_every=1"]


def _run(outdir: Path) -> Path:
    (folder,) = outdir.iterdir()
    return folder


def _events(folder: Path) -> list[dict]:
    return list(rundir.read_jsonl(folder / rundir.EVENTS))


def _poison_at(monkeypatch: pytest.MonkeyPatch, step: int, times: int = 1, where: str = "critic") -> None:
    """Make the parameters of `where` NaN right after generator step `step` (the first `times` times it is met)."""
    original, met = loop.train_step, []

    def poisoned(run, state):
        stats = original(run, state)
        if state.step + 1 == step and len(met) < times:
            met.append(step)
            with torch.no_grad():
                next(getattr(state, where).parameters()).fill_(float("nan"))
        return stats

    monkeypatch.setattr(loop, "train_step", poisoned)


def test_a_huge_learning_rate_stops_at_once_and_writes_no_checkpoint(tmp_path, capsys) -> None:
    huge = ["--set", "optim.lr_critic=1e30", "--set", "optim.lr_generator=1e30", "--set", "train.checkpoint_every=1"]
    error = refused(["train", *STEADY, *huge, "--outdir", str(tmp_path)], capsys)
    assert error.startswith("wganlab: error: training stopped at step ")
    assert "is not finite; no checkpoint had been written yet" in error and "on_nonfinite" in error
    folder = _run(tmp_path)
    (event,) = _events(folder)
    assert event["event"] == "nonfinite" and event["action"] == "stop"
    assert [checkpoint.read(path)["step"] for path in rundir.checkpoints(folder)] == list(range(1, event["step"]))[-1:]
    for path in rundir.checkpoints(folder):  # whatever was written before the break is finite
        assert all(bool(torch.isfinite(t).all()) for t in checkpoint.read(path)["generator"].values())


def test_the_guard_names_the_first_quantity_and_the_step(tmp_path, monkeypatch, capsys) -> None:
    _poison_at(monkeypatch, 13)
    error = refused(["train", *STEADY, "--outdir", str(tmp_path)], capsys)
    assert "training stopped at step 13: the gradient of" in error or "training stopped at step 13: critic" in error
    folder = _run(tmp_path)
    assert [p.name for p in rundir.checkpoints(folder)] == ["checkpoint-0000010.pt"]
    assert max(record["step"] for record in rundir.read_jsonl(folder / rundir.STATS)) == 12  # nothing logged at 13


def test_rollback_returns_to_the_last_checkpoint_with_lower_rates_and_finishes(tmp_path, monkeypatch, capsys) -> None:
    _poison_at(monkeypatch, 15)
    rollback = ["--set", "train.on_nonfinite=rollback", "--set", "train.rollback_factor=0.25"]
    assert cli.main(["train", *STEADY, *rollback, "--outdir", str(tmp_path)]) == 0
    folder = _run(tmp_path)
    out = capsys.readouterr().out
    assert "step 15: " in out and "rolled back to step 10 with learning rates x0.25 (rollback 1 of 3)" in out
    (event,) = _events(folder)
    assert event == event | {"step": 15, "action": "rollback", "to_step": 10, "lr_scale": 0.25, "rollback": 1}
    last = checkpoint.read(rundir.checkpoint_path(folder, 30))
    assert last["lr_scale"] == 0.25 and last["rollbacks"] == 1
    config = runlogs.read_config(folder)
    assert last["critic_scheduler"]["base_lrs"][0] == pytest.approx(config.optim.lr_critic * 0.25)
    steps = [record["step"] for record in rundir.read_jsonl(folder / rundir.STATS)]
    assert steps == list(range(1, 31))  # the steps after the checkpoint were cut back and trained again
    assert all(math.isfinite(r["critic/loss"]) for r in rundir.read_jsonl(folder / rundir.STATS))


def test_rollback_before_any_checkpoint_returns_to_the_start_and_stops_when_spent(tmp_path, monkeypatch,
                                                                                   capsys) -> None:
    _poison_at(monkeypatch, 4, times=10, where="generator")
    rollback = ["--set", "train.on_nonfinite=rollback", "--set", "train.max_rollbacks=2"]
    error = refused(["train", *STEADY, *rollback, "--outdir", str(tmp_path)], capsys)
    assert "training stopped at step 4" in error and "after 2 rollbacks" in error
    assert "no checkpoint had been written yet" in error
    actions = [(e["action"], e.get("to_step")) for e in _events(_run(tmp_path))]
    assert actions == [("rollback", 0), ("rollback", 0), ("stop", None)]


def test_the_tally_sees_nan_and_inf_anywhere_names_the_first_and_locate_agrees() -> None:
    from wganlab import config as configuration
    from wganlab.training.build import build

    run, state = build(configuration.with_values(configuration.load(), {"model.width": 8, "model.depth": 1}))
    stats = loop.train_step(run, state)
    tally = guard.Tally(guard.watched(state))
    tally.add(stats, 1)
    assert tally.read() is None and guard.locate(stats, state, with_optimizers=True) is None
    weight = dict(state.critic.named_parameters())["net.2.weight"]
    with torch.no_grad():
        weight[0, 0] = float("inf")
    tally.add(stats, 2)
    tally.add({**stats, "critic/loss": torch.tensor(float("nan"))}, 3)  # later: the first step is the one named
    assert tally.read() == (2, "critic parameter net.2.weight")
    assert guard.locate(stats, state) == "critic parameter net.2.weight"
    tally.add({**stats, "critic/loss": torch.tensor(float("nan"))}, 4)  # a statistic comes before the parameters
    assert tally.read() == (4, "critic/loss (nan)")
    assert tally.read() is None  # each reading starts anew
    assert guard.locate({"critic/loss": torch.tensor(float("nan"))}, state) == "critic/loss (nan)"
    with torch.no_grad():
        weight[0, 0] = 1e30  # huge but finite: its norm overflows float32, the reading finds every entry finite
    tally.add(stats, 5)
    assert tally.read() is None and guard.locate(stats, state) is None
    next(iter(state.critic_optimizer.state.values()))["exp_avg"].view(-1)[0] = float("nan")
    assert guard.locate(stats, state) is None  # the optimiser's state is checked before a checkpoint only
    assert "the critic optimiser's exp_avg of parameter 0" == guard.locate(stats, state, with_optimizers=True)


class _Ranks:
    """Three ranks' tallies as `guard.agree` sees them through the team's collectives."""

    world = 3

    def __init__(self, found: list) -> None:
        self.found = found

    def all_true(self, flag: bool, device: torch.device) -> bool:
        return all(each is None for each in self.found)

    def gather_to_main(self, value: object) -> list:
        return self.found

    def broadcast(self, value: object) -> object:
        return value


def test_the_ranks_agree_on_the_earliest_step_any_of_them_found() -> None:
    cpu = torch.device("cpu")
    assert guard.agree(_Ranks([None, None, None]), None, cpu) is None
    found = [None, (14, "critic/loss (nan)"), (12, "critic/penalty (inf)")]
    assert guard.agree(_Ranks(found), None, cpu) == (12, "critic/penalty (inf)")
    tied = [(12, "critic parameter net.0.weight"), (12, "critic/loss (nan)"), None]
    assert guard.agree(_Ranks(tied), tied[0], cpu) == tied[0]  # rank 0's where they tie


def test_the_loop_reads_where_it_logs_evaluates_checkpoints_and_at_least_every_100_steps() -> None:
    from wganlab import config as configuration
    from wganlab.training.step import Run

    config = configuration.load(overrides=["train.log_every=30", "eval.every=250", "train.checkpoint_every=500"],
                                steps=1000)
    run = Run(config, None, None, None, None)  # type: ignore[arg-type]
    read = [step for step in range(1, 1001) if loop.reading(run, step)]
    expected = {s for s in range(1, 1001) if s % 30 == 0 or s % 250 == 0 or s % 100 == 0} | {1000}
    assert read == sorted(expected) and loop.GUARD_EVERY == 100


def test_under_fp16_a_skipped_update_excuses_its_losses_but_not_a_vanishing_scale() -> None:
    fp16 = {"critic/loss": torch.tensor(float("inf")), "amp/critic_scale": torch.tensor(1024.0),
            "amp/critic_skipped": torch.tensor(1.0)}
    tally = guard.Tally([])
    tally.add(fp16, 1)
    assert tally.read() is None
    tally.add({**fp16, "amp/critic_skipped": torch.tensor(0.0)}, 2)
    assert tally.read() == (2, "critic/loss (inf)")
    tally.add({**fp16, "amp/critic_scale": torch.tensor(2.0**-17)}, 3)
    assert tally.read() == (3, f"amp/critic_scale ({guard.BELOW})")


def test_read_only_where_it_logs_the_guard_still_names_the_step_and_no_later_checkpoint(tmp_path, monkeypatch,
                                                                                         capsys) -> None:
    """With train.log_every 10 the tally is read at steps 5 (a checkpoint), 10, 15, 20: a parameter made NaN at
    step 13 is found at 15, named with step 13, and no checkpoint after step 10 is written."""
    _poison_at(monkeypatch, 13)
    sparse = [*STEADY, "--set", "train.log_every=10", "--set", "train.checkpoint_every=5",
              "--set", "train.keep_checkpoints=5"]
    error = refused(["train", *sparse, "--outdir", str(tmp_path)], capsys)
    assert "training stopped at step 13: critic parameter" in error
    folder = _run(tmp_path)
    assert [p.name for p in rundir.checkpoints(folder)] == ["checkpoint-0000005.pt", "checkpoint-0000010.pt"]
    (event,) = _events(folder)
    assert event["step"] == 13 and event["action"] == "stop"
    assert [record["step"] for record in rundir.read_jsonl(folder / rundir.STATS)] == [10]


def test_diagnose_reports_the_guards_stop_as_a_finding(tmp_path, monkeypatch, capsys) -> None:
    from wganlab.diagnose import diagnose

    _poison_at(monkeypatch, 13)
    assert cli.main(["train", *STEADY, "--outdir", str(tmp_path)]) == 2
    findings = diagnose(_run(tmp_path)).findings
    assert findings[0].title == "Non-finite values" and "at step 13 (stop)" in findings[0].evidence
