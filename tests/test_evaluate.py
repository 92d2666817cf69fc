"""`wganlab evaluate` through the Python API: what counts as samples, and a checkpoint measured again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.hostile import refused
from wganlab import cli, rundir
from wganlab.evaluate import evaluate_checkpoint, is_samples

DIGITS = [
    "--set", "data.name=digits",
    "--set", "model.arch=dcgan",
    "--set", "model.width=8",
    "--set", "model.latent_dim=8",
    "--set", "train.batch_size=16",
    "--set", "train.critic_iters=1",
    "--set", "objective.penalty_weight=10",
    "--set", "data.limit=300",
    "--set", "eval.image_samples=200",
    "--set", 'eval.metrics=["fid"]',
    "--set", "eval.diagnostics=false",
    "--set", "eval.figures=false",
]


def test_is_samples(tmp_path: Path):
    for name in ("a.npz", "b.npy", "c.png", "d.pt"):
        (tmp_path / name).write_bytes(b"")
    assert is_samples(tmp_path / "a.npz") and is_samples(tmp_path / "b.npy")
    assert not is_samples(tmp_path / "c.png") and not is_samples(tmp_path / "d.pt")
    images = tmp_path / "images"
    images.mkdir()
    assert is_samples(images)  # a plain folder: of images
    run = tmp_path / "00000-run"
    run.mkdir()
    (run / rundir.CONFIG).write_text("{}")
    assert not is_samples(run)  # a run folder
    crashed = tmp_path / "00001-crashed"
    (crashed / rundir.CHECKPOINTS).mkdir(parents=True)
    assert not is_samples(crashed)  # no config.json yet, but a run's checkpoints folder
    assert not is_samples(tmp_path / "missing") and not is_samples(tmp_path / "missing.npz")


def test_evaluate_checkpoint_reproduces_the_logged_evaluation(tmp_path: Path):
    outdir = tmp_path / "runs"
    assert cli.main(["train", *DIGITS, "--steps", "1", "--outdir", str(outdir)]) == 0
    (run,) = outdir.iterdir()
    (logged,) = [json.loads(line) for line in (run / rundir.METRICS).read_text().splitlines()]
    assert logged.keys() == {"step", "fid_200", "protocol"}

    title, headline, metrics = evaluate_checkpoint(run, {"eval.metrics": ["fid"]})
    assert title == f"{run} at step 1"
    assert metrics.keys() == {"fid_200"} and np.isfinite(metrics["fid_200"]) and metrics["fid_200"] > 0
    # the same checkpoint, step seed and extractor as the evaluation the run logged at step 1
    assert metrics["fid_200"] == pytest.approx(logged["fid_200"], rel=1e-9)
    assert headline == f"FID {metrics['fid_200']:.3f}"

    checkpoint = rundir.checkpoint_path(run, 1)
    _, _, fewer = evaluate_checkpoint(checkpoint, {"eval.metrics": ["fid"], "eval.image_samples": 50})
    assert fewer.keys() == {"fid_50"}


@pytest.mark.parametrize("given", [["--root", "digits-files"], ["--split", "test"], ["--split", "train"],
                                   ["--root", ""], ["--root", "x", "--split", "test"]])
@pytest.mark.parametrize("target", ["samples.npz", "run"])
def test_root_and_split_without_data_are_refused_not_ignored(tmp_path: Path, capsys, given, target) -> None:
    """--root and --split describe the real data --data names: without it they would be silently dropped."""
    path = tmp_path / target
    if target == "run":
        (path / rundir.CHECKPOINTS).mkdir(parents=True)
    else:
        np.savez(path, images=np.zeros((4, 8, 8), np.uint8))
    line = refused(["evaluate", str(path), "--reference", str(tmp_path / "ref.npz"), *given], capsys)
    assert "--root and --split say where and which the real data named by --data are" in line, line


@pytest.mark.parametrize("given", [["--data", "digits"], ["--stack", "1"], ["--stack", "3"],
                                   ["--data", "digits", "--root", "x", "--split", "test"]])
def test_real_data_options_on_a_run_are_refused_not_ignored(tmp_path: Path, capsys, given) -> None:
    """A run is measured against its own data: --data and --stack would be silently dropped."""
    run = tmp_path / "run"
    (run / rundir.CHECKPOINTS).mkdir(parents=True)
    line = refused(["evaluate", str(run), *given], capsys)
    assert f"{run} is a run: it is measured against its own data, which --data and --stack do not change" in line
