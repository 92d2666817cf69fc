"""Run folders: numbered creation, JSONL cut-back, and checkpoints found, pruned, resolved."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from wganlab import rundir
from wganlab.config import Config
from wganlab.errors import UserError


def test_create_numbers_the_folders(tmp_path: Path):
    first = rundir.create(tmp_path / "runs", "grid wgan/gp")
    assert first == tmp_path / "runs" / "00000-grid-wgan-gp"
    assert (first / "figures").is_dir() and (first / "checkpoints").is_dir()
    assert rundir.create(tmp_path / "runs", "grid").name == "00001-grid"
    (tmp_path / "runs" / "00041-elsewhere").mkdir()
    (tmp_path / "runs" / "notes").mkdir()  # not a numbered folder: ignored
    assert rundir.create(tmp_path / "runs", "//").name == "00042-run"  # nothing left of the name: "run"


def test_truncate_jsonl(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    records = [{"step": step, "w1": math.nan if step == 20 else step / 10} for step in (10, 20, 30, 40)]
    for record in records:
        rundir.append_jsonl(path, record)
    rundir.truncate_jsonl(path, 25)
    kept = list(rundir.read_jsonl(path))
    assert [r["step"] for r in kept] == [10, 20] and math.isnan(kept[1]["w1"])
    rundir.truncate_jsonl(path, 20)  # the boundary step is kept
    assert [r["step"] for r in rundir.read_jsonl(path)] == [10, 20]
    rundir.truncate_jsonl(tmp_path / "missing.jsonl", 5)  # nothing to cut: no file is made
    assert not (tmp_path / "missing.jsonl").exists()


def make_checkpoints(run: Path, names: list[str]) -> None:
    (run / rundir.CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    for name in names:
        (run / rundir.CHECKPOINTS / name).write_bytes(b"pt")


def test_checkpoints_sorted_numerically(tmp_path: Path):
    make_checkpoints(tmp_path, ["checkpoint-10.pt", "checkpoint-9.pt", "checkpoint-0000100.pt", "checkpoint-x.pt"])
    assert [p.name for p in rundir.checkpoints(tmp_path)] == ["checkpoint-9.pt", "checkpoint-10.pt",
                                                              "checkpoint-0000100.pt"]
    assert rundir.checkpoints(tmp_path / "no-run") == []
    assert rundir.checkpoint_path(tmp_path, 42) == tmp_path / "checkpoints" / "checkpoint-0000042.pt"


def test_prune_keeps_the_newest(tmp_path: Path):
    make_checkpoints(tmp_path, [rundir.checkpoint_path(tmp_path, step).name for step in (5, 10, 15, 20)])
    rundir.prune_checkpoints(tmp_path, 2)
    assert rundir.checkpoints(tmp_path) == [rundir.checkpoint_path(tmp_path, 15), rundir.checkpoint_path(tmp_path, 20)]
    rundir.prune_checkpoints(tmp_path, 5)  # fewer than asked for: all stay
    assert len(rundir.checkpoints(tmp_path)) == 2


def test_resolve_checkpoint_and_has_checkpoint(tmp_path: Path):
    run = tmp_path / "00000-run"
    (run / rundir.CHECKPOINTS).mkdir(parents=True)
    assert not rundir.has_checkpoint(run) and not rundir.has_checkpoint(tmp_path / "nowhere")
    with pytest.raises(UserError, match="has no checkpoint in .*: give a run folder that has one"):
        rundir.resolve_checkpoint(run)
    with pytest.raises(UserError, match="is neither a run folder nor a checkpoint file"):
        rundir.resolve_checkpoint(tmp_path / "nowhere")
    make_checkpoints(run, ["checkpoint-0000005.pt", "checkpoint-0000010.pt"])
    latest = rundir.checkpoint_path(run, 10)
    assert rundir.has_checkpoint(run) and rundir.has_checkpoint(latest)
    assert rundir.resolve_checkpoint(run) == (run, latest)
    earlier = rundir.checkpoint_path(run, 5)
    assert rundir.resolve_checkpoint(earlier) == (None, earlier)  # no config.json: a loose checkpoint
    rundir.write_config(run, Config())
    assert rundir.resolve_checkpoint(earlier) == (run, earlier)
    loose = tmp_path / "elsewhere" / "checkpoint-0000005.pt"
    loose.parent.mkdir()
    loose.write_bytes(b"pt")
    assert rundir.resolve_checkpoint(loose) == (None, loose)


def test_jsonl_round_trip_skips_blank_lines(tmp_path: Path):
    path = tmp_path / "stats.jsonl"
    path.write_text(json.dumps({"step": 1}) + "\n\n" + json.dumps({"step": 2, "x": [1.0]}) + "\n")
    assert list(rundir.read_jsonl(path)) == [{"step": 1}, {"step": 2, "x": [1.0]}]
    assert list(rundir.read_jsonl(tmp_path / "missing.jsonl")) == []
