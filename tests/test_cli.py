"""The command line: a run folder with everything in it, and one-line user errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.hostile import refused
from tests.tiny import TINY
from wganlab import cli


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("runs")
    code = cli.main(
        [
            "train",
            *TINY,
            "--steps",
            "6",
            "--set",
            "eval.every=3",
            "--set",
            "train.checkpoint_every=3",
            "--set",
            "train.log_every=2",
            "--outdir",
            str(outdir),
        ]
    )
    assert code == 0
    (run,) = outdir.iterdir()
    return run


def test_run_folder_holds_everything(finished_run: Path):
    assert finished_run.name == "00000-grid-grid"
    config = json.loads((finished_run / "config.json").read_text())
    assert config["train"]["steps"] == 6 and config["model"]["width"] == 16
    stats = [json.loads(line) for line in (finished_run / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in stats] == [2, 4, 6]
    assert {"critic/loss", "critic/estimate", "critic/penalty", "generator/loss", "lr/generator"} <= set(
        stats[0]
    )
    metrics = [json.loads(line) for line in (finished_run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [3, 6]
    assert {"modes_200", "hq_percent_200", "reverse_kl_200", "w1_200", "critic_estimate"} <= set(metrics[-1])
    assert sorted(p.name for p in (finished_run / "figures").iterdir()) == [
        "eval-0000003.png",
        "eval-0000006.png",
    ]
    assert (finished_run / "figures" / "eval-0000006.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checkpoints = sorted(p.name for p in (finished_run / "checkpoints").iterdir())
    best = min(metrics, key=lambda m: m["w1_200"])["step"]  # the rule, not one CPU's float32 trajectory
    assert checkpoints == [f"best-{best:07d}.pt", "checkpoint-0000003.pt", "checkpoint-0000006.pt"]
    payload = torch.load(finished_run / "checkpoints" / checkpoints[-1], weights_only=True)
    assert {
        "generator",
        "critic",
        "generator_optimizer",
        "critic_optimizer",
        "rng",
        "data_rng",
        "torch_rng",
        "step",
        "config",
        "generator_ema",
        "generator_scheduler",
        "critic_scheduler",
    } <= set(payload)
    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["step"] == 6
    assert summary["metrics"] == {key: value for key, value in metrics[-1].items() if key != "step"}
    assert summary["generator_steps_per_second"] > 0


def test_evaluate_prints_the_toy_metrics(finished_run: Path, capsys):
    code, out, err = _run(["evaluate", str(finished_run)], capsys)
    assert code == 0, err
    assert "modes" in out and "HQ" in out and "KL" in out and "W1" in out
    assert "step 6" in out


def test_list_names_every_kind(capsys):
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    for word in (
        "datasets:",
        "grid",
        "ring",
        "losses:",
        "hinge",
        "penalties:",
        "dragan",
        "constraints:",
        "spectral-norm",
        "presets:",
        "wgan-gp-toy",
    ):
        assert word in out


def test_dry_run_prints_config_and_writes_nothing(tmp_path: Path, capsys):
    code, out, _ = _run(
        ["train", "--dry-run", "--preset", "wgan-paper", "--outdir", str(tmp_path / "r")], capsys
    )
    assert code == 0
    assert json.loads(out)["objective"]["constraint"] == "clip"
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "train.stepz=3"], "unknown config key train.stepz"),
        (["--set", "train.steps=abc"], "train.steps"),
        (["--set", "objective.penalty_weight=-0.5"], "lambda"),
        (["--set", "objective.constraint=clip", "--set", "objective.clip_value=-1"], "clip_value"),
        (["--set", "train.critic_iters=0"], "n_critic"),
        (["--preset", "nope"], "unknown preset"),
        (["--set", "data.name=nope"], "unknown data.name"),
        (["--set", "objective.penalty=nope"], "unknown objective.penalty"),
        (["--set", "objective.constraint=nope"], "unknown objective.constraint"),
        (["--set", "objective.loss=nope"], "unknown objective.loss"),
    ],
)
def test_config_errors_exit_2_in_one_line_with_no_run_folder(tmp_path: Path, capsys, args, needle):
    outdir = tmp_path / "runs"
    assert needle in refused(["train", *args, "--outdir", str(outdir)], capsys)
    assert not outdir.exists()


def _resume_error(target: Path, capsys) -> str:
    # a folder or a missing path: its own parent; a checkpoint file: its run folder's parent
    parent = target.parent if target.is_dir() or not target.exists() else target.parent.parent.parent
    before = sorted(parent.rglob("*"))
    err = refused(["train", "--resume", str(target)], capsys)
    assert sorted(parent.rglob("*")) == before  # nothing created, nothing removed
    return err


def test_missing_checkpoint(tmp_path: Path, capsys):
    assert "neither a run folder nor a checkpoint" in _resume_error(tmp_path / "no-such-run", capsys)
    empty = tmp_path / "00000-empty"
    (empty / "checkpoints").mkdir(parents=True)
    assert "has no checkpoint" in _resume_error(empty, capsys)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign"])
def test_damaged_checkpoint(finished_run: Path, tmp_path: Path, capsys, damage):
    run = tmp_path / "00000-copy"
    (run / "checkpoints").mkdir(parents=True)
    good = (finished_run / "checkpoints" / "checkpoint-0000006.pt").read_bytes()
    path = run / "checkpoints" / "checkpoint-0000006.pt"
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    else:
        torch.save({"weights": torch.zeros(3)}, path)
    err = _resume_error(path, capsys)
    expected = "not a wganlab checkpoint" if damage == "foreign" else "is damaged or not a checkpoint"
    assert str(path) in err and expected in err


def test_console_script_exit_code(tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wganlab.cli",
            "train",
            "--set",
            "train.critic_iters=0",
            "--outdir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    expected = "wganlab: error: train.critic_iters (n_critic) must be in [1, 10,000] (in --set)"
    assert done.stderr.strip().splitlines() == [expected]
    assert not (tmp_path / "runs").exists()
