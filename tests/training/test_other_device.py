"""A run trained on a GPU, opened on a machine without one: its networks load on the CPU (sample, evaluate,
diagnose); resuming it there is refused in one line (its random streams live on its GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

import wganlab
from tests.tiny import TINY
from wganlab import cli, rundir, runlogs
from wganlab import config as configuration
from wganlab.claims.context import claim_config
from wganlab.training import build, checkpoint, session, snapshot, validation


def _as_if_trained_on_cuda(run: Path) -> None:
    """Rewrite the run's checkpoint as a GPU machine would have written it: its config names cuda."""
    path = rundir.checkpoints(run)[-1]
    _, run_of_it, state = session.load(path)
    config = configuration.with_values(run_of_it.config, {"train.device": "cuda"})
    checkpoint.save(path, state, config, run_of_it.shape)


def test_a_gpu_run_is_evaluated_and_diagnosed_on_the_cpu_and_its_resume_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert cli.main(["train", *TINY, "--steps", "20", "--set", "eval.figures=false", "--outdir", str(tmp_path)]) == 0
    run = next(tmp_path.glob("*/"))
    _as_if_trained_on_cuda(run)
    opened = snapshot.load_snapshot(run)
    assert opened.config.train.device == "cpu" and next(opened.generator.parameters()).device.type == "cpu"
    assert cli.main(["evaluate", str(run)]) == 0
    assert cli.main(["diagnose", str(run)]) == 0
    assert cli.main(["export", str(run), "--out", str(tmp_path / "g.safetensors")]) == 0
    for source in (run, tmp_path / "g.safetensors"):
        generator = wganlab.load_generator(source)
        assert generator.config.train.device == "cuda" and generator.sample(3).shape == (3, 2)
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(run), "--steps", "30"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"wganlab: error: {run} trained on cuda, which this machine does not have: resume it on a machine that has "
        "(its random streams live there); sample, evaluate, diagnose and report work here, on the CPU")


def test_a_run_on_a_device_this_machine_has_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    config = configuration.load(preset="grid", overrides=["train.device=cpu"])
    assert snapshot.usable_here(config) is config  # the CPU
    cuda = configuration.with_values(config, {"train.device": "cuda:1"})
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 2)
    assert snapshot.usable_here(cuda) is cuda
    monkeypatch.setattr("torch.cuda.device_count", lambda: 1)
    assert snapshot.usable_here(cuda).train.device == "cpu"


@pytest.mark.parametrize(("gpu", "expected"), [(False, "cpu"), (True, "cuda")])
def test_auto_is_cuda_where_there_is_a_gpu_else_cpu_and_a_run_records_which(
        gpu: bool, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = configuration.load(preset="grid")
    assert config.train.device == "auto"  # the default
    monkeypatch.setattr("torch.cuda.is_available", lambda: gpu)
    monkeypatch.setattr("torch.cuda.device_count", lambda: int(gpu))
    resolved, said = build.resolved(config)
    assert resolved.train.device == expected and said == ()  # toy data: no extractor to choose
    assert resolved == configuration.with_values(config, {"train.device": expected})  # nothing else changed
    assert snapshot.usable_here(config).train.device == expected
    line = validation.device_line("auto", expected)
    assert line.startswith(f"{expected} (train.device auto: ") and ("no CUDA GPU" in line) == (not gpu)
    assert validation.device_line("cpu", "cpu") == "cpu"  # chosen by name: nothing to explain


def test_a_run_started_on_auto_records_its_device_and_says_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert cli.main(["train", *TINY, "--steps", "10", "--set", "eval.figures=false", "--outdir", str(tmp_path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("10 generator steps on cpu (train.device auto: no CUDA GPU))")
    run = next(tmp_path.glob("*/"))
    assert runlogs.read_config(run).train.device == "cpu"  # what it ran on, not "auto": a resume keeps it


def test_claims_train_on_the_cpu_whatever_the_machine_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)  # their figures and probes are the CPU's
    assert claim_config("grid", {"train.steps": 10}).train.device == "cpu"
    assert claim_config("grid", {"train.device": "cuda"}).train.device == "cuda"  # unless a claim says otherwise
