"""Killed by SIGKILL after its step-20 checkpoint and resumed, a run ends bitwise equal to an unbroken one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from tests.bitwise import assert_bitwise_equal
from tests.tiny import TINY
from wganlab import cli, rundir

SETTINGS = [
    *TINY,
    "--steps",
    "40",
    "--set",
    "train.checkpoint_every=10",
    "--set",
    "eval.every=10",
    "--set",
    "train.log_every=1",
    "--set",
    "eval.figures=false",
    "--set",
    "train.keep_checkpoints=10",
]

# Runs in a child process: train, and SIGKILL ourselves right after the step-20 checkpoint is on disk.
KILLER = textwrap.dedent("""
    import os, signal, sys
    from wganlab import cli
    from wganlab.training import checkpoint
    original = checkpoint.save
    def save_then_die(path, state, config, shape):
        original(path, state, config, shape)
        if state.step == 20:
            os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.save = save_then_die
    sys.exit(cli.main(sys.argv[1:]))
""")


def _without_times(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [
        {key: value for key, value in record.items() if not key.startswith("time/")} for record in records
    ]


def _final(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "checkpoint-0000040.pt", weights_only=True)


@pytest.mark.equivalence
def test_sigkill_and_resume_is_bitwise_identical(tmp_path: Path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert cli.main(["train", *SETTINGS, "--outdir", str(straight)]) == 0

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    child = subprocess.run(
        [sys.executable, "-c", KILLER, "train", *SETTINGS, "--outdir", str(killed)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    (run,) = killed.iterdir()
    measured = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    best = min(measured, key=lambda m: m["w1_200"])["step"]  # the rule, not one CPU's float32 trajectory
    assert [m["step"] for m in measured] == [10, 20]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        f"best-{best:07d}.pt",
        "checkpoint-0000010.pt",
        "checkpoint-0000020.pt",
    ]
    assert not (run / "summary.json").exists()

    assert cli.main(["train", "--resume", str(run)]) == 0
    (reference,) = straight.iterdir()
    a, b = _final(reference), _final(run)
    for part in ("generator", "critic", "generator_optimizer", "critic_optimizer", "rng", "data_rng", "step"):
        assert_bitwise_equal(a[part], b[part], part)
    # and the best checkpoint is the unbroken run's
    best_steps = [[step for step, _ in rundir.best_checkpoints(folder)] for folder in (run, reference)]
    assert best_steps[0] == best_steps[1]
    # The logs of the resumed run read as if it had never stopped (but for wall-clock times).
    for log in ("stats.jsonl", "metrics.jsonl"):
        assert _without_times(run / log) == _without_times(reference / log), log
    times = [
        record["time/train_seconds"]
        for record in map(json.loads, (run / "stats.jsonl").read_text().splitlines())
    ]
    assert times == sorted(times), "the run's training clock continues across the resume"


def test_resume_extends_a_finished_run(tmp_path: Path):
    assert (
        cli.main(
            [
                "train",
                *TINY,
                "--steps",
                "4",
                "--set",
                "train.checkpoint_every=2",
                "--set",
                "eval.every=0",
                "--set",
                "eval.figures=false",
                "--outdir",
                str(tmp_path),
            ]
        )
        == 0
    )
    (run,) = tmp_path.iterdir()
    assert cli.main(["train", "--resume", str(run), "--steps", "6"]) == 0
    assert torch.load(run / "checkpoints" / "checkpoint-0000006.pt", weights_only=True)["step"] == 6
    # a finished run is not silently "resumed" to where it already is
    assert cli.main(["train", "--resume", str(run)]) == 2


RANDOM_KILLS = [
    *TINY, "--steps", "300", "--set", "train.checkpoint_every=7", "--set", "eval.every=50", "--set",
    "train.log_every=1", "--set", "eval.figures=false", "--set", "train.keep_checkpoints=2",
]


@pytest.mark.equivalence
def test_killed_at_random_moments_and_resumed_the_run_ends_bitwise_equal(tmp_path: Path):
    """The kills land at random moments of the run as this machine runs it: the delays are fractions of the time
    an unbroken run takes here (start-up included), not seconds tuned on one CPU."""
    import random
    import shutil
    import time

    straight, killed = tmp_path / "straight", tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    run_cli = [sys.executable, "-c", "import sys; from wganlab import cli; sys.exit(cli.main(sys.argv[1:]))"]
    started = time.perf_counter()
    subprocess.run([*run_cli, "train", *RANDOM_KILLS, "--outdir", str(straight)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    whole = time.perf_counter() - started
    delays, kills = random.Random(10).uniform, 0
    for attempt in range(12):
        runs = list(killed.iterdir()) if killed.is_dir() else []
        if runs and not rundir.checkpoints(runs[0]):
            shutil.rmtree(killed)  # killed before its first checkpoint: nothing to resume, start again
            runs = []
        if runs and rundir.checkpoints(runs[0])[-1].name == "checkpoint-0000300.pt":
            break  # killed after its last checkpoint (writing its summary): nothing is left to train
        argv = ["train", "--resume", str(runs[0])] if runs else ["train", *RANDOM_KILLS, "--outdir", str(killed)]
        child = subprocess.Popen([*run_cli, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            child.wait(timeout=delays(0.3, 0.9) * whole if attempt < 4 else 120)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
            continue
        assert child.returncode == 0, child.stderr.read() if child.stderr else ""
        break
    assert kills >= 2, "the run finished before it could be killed: lengthen it"
    (reference,), (run,) = straight.iterdir(), killed.iterdir()
    final = "checkpoints/checkpoint-0000300.pt"
    a, b = (torch.load(folder / final, weights_only=True) for folder in (reference, run))
    for part in ("generator", "critic", "generator_optimizer", "critic_optimizer", "rng", "data_rng", "step"):
        assert_bitwise_equal(a[part], b[part], part)
    for log in ("stats.jsonl", "metrics.jsonl"):
        assert _without_times(run / log) == _without_times(reference / log), log
    assert not [p for p in run.rglob("*.tmp")]
