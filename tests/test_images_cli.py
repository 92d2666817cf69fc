"""Images end to end through the CLI: training on digits, evaluation of runs and sample files, classifiers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from wganlab import cli
from wganlab.data.images import load_images

CONV = [
    "--set",
    "data.name=digits",
    "--set",
    "model.arch=dcgan",
    "--set",
    "model.width=8",
    "--set",
    "model.latent_dim=8",
    "--set",
    "train.batch_size=16",
    "--set",
    "eval.image_samples=200",
    "--set",
    "objective.penalty_weight=10",
    "--set",
    "train.critic_iters=1",
]


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WGANLAB_CACHE", str(tmp_path / "cache"))


def _train(tmp_path: Path, *extra: str) -> Path:
    outdir = tmp_path / "runs"
    assert cli.main(["train", *CONV, "--steps", "2", "--set", "eval.every=1", *extra, "--outdir", str(outdir)]) == 0
    return sorted(outdir.iterdir())[-1]


def test_digits_run_records_metrics_with_their_protocol(tmp_path: Path):
    run = _train(tmp_path)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2]
    last = metrics[-1]
    assert {"fid_200", "kid_200", "is_200", "precision_200", "recall_200", "modes_200"} <= set(last)
    assert last["total_modes"] == 10
    assert last["protocol"] == {
        "extractor": "digits-classifier",
        "weights": last["protocol"]["weights"],
        "fake_samples": 200,
        "real_samples": 1437,
        "real": "digits train",
    }
    assert (run / "figures" / "eval-0000002.png").read_bytes()[:4] == b"\x89PNG"
    assert list((tmp_path / "cache" / "real-features").glob("*.npz")), "real features are cached"


def test_stacked_digits_have_a_thousand_modes(tmp_path: Path):
    run = _train(tmp_path, "--set", "data.stack=3")
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["total_modes"] == 1000 and last["protocol"]["real_samples"] == 200


def test_evaluate_a_run_with_other_metrics(tmp_path: Path, capsys):
    run = _train(tmp_path)
    capsys.readouterr()
    assert cli.main(["evaluate", str(run), "--metrics", "fid,modes", "--samples", "300"]) == 0
    out = capsys.readouterr().out
    assert "fid_300" in out and "modes_300" in out and "kid_" not in out


def test_real_held_out_digits_score_near_the_floor(tmp_path: Path, capsys):
    held_out = load_images("digits", split="test")
    path = tmp_path / "samples.npz"
    np.savez(path, images=((held_out.images.numpy() + 1) * 127.5).round().astype(np.uint8))
    assert cli.main(["evaluate", str(path), "--data", "digits", "--metrics", "fid,modes"]) == 0
    out = capsys.readouterr().out
    fid = float(next(line for line in out.splitlines() if "fid_360 =" in line).split("=")[1])
    modes = float(next(line for line in out.splitlines() if "modes_360 =" in line).split("=")[1])
    assert fid < 5.0 and modes == 10  # real digits against real digits: small, every class present


def test_classifier_train_then_use_it(tmp_path: Path, capsys):
    digits = load_images("digits")
    path = tmp_path / "labelled.npz"
    np.savez(path, images=((digits.images.numpy() + 1) * 127.5).round().astype(np.uint8), labels=digits.labels.numpy())
    weights = tmp_path / "mine.pt"
    assert (
        cli.main(["classifier", "train", "--data", "npz", "--root", str(path), "--out", str(weights), "--epochs", "2"])
        == 0
    )
    assert "held-out accuracy" in capsys.readouterr().out and weights.is_file()
    run = _train(
        tmp_path, "--set", "eval.extractor=classifier", "--set", f"eval.extractor_weights={json.dumps(str(weights))}"
    )
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["protocol"]["extractor"] == "classifier"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "model.critic_norm=batch"], "per-sample gradient penalty"),
        (["--set", "data.name=grid"], "needs image data"),
        (["--set", "data.root=/nonexistent", "--set", "data.name=mnist"], "/nonexistent"),
        (["--set", "data.stack=2"], "data.stack must be 1 or 3"),
        (["--set", 'eval.metrics=["fid", "bleu"]'], "unknown eval.metrics 'bleu'"),
    ],
)
def test_image_config_errors(tmp_path: Path, capsys, args, needle):
    outdir = tmp_path / "runs"
    assert cli.main(["train", *CONV, *args, "--outdir", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not outdir.exists()


@pytest.mark.parametrize(
    "objective",
    [
        ["objective.penalty=gp"],
        ["objective.penalty=lp"],
        ["objective.penalty=r1", "objective.loss=non-saturating"],
        ["objective.penalty=r2", "objective.loss=hinge"],
        ["objective.penalty=dragan", "objective.loss=minimax"],
        ["objective.penalty=drift", "objective.constraint=clip"],
        ["objective.penalty=none", "objective.constraint=spectral-norm", "objective.loss=hinge"],
        ["objective.penalty=none", "objective.constraint=maxnorm"],
        ["objective.penalty=none", "objective.constraint=grad-clip", "objective.loss=least-squares"],
        ["objective.instance_noise_std=0.1", "objective.instance_noise_steps=2"],
    ],
)
def test_every_objective_trains_on_images(tmp_path: Path, objective):
    sets = [item for pair in (("--set", o) for o in objective) for item in pair]
    outdir = tmp_path / "runs"
    assert (
        cli.main(
            [
                "train",
                *CONV,
                *sets,
                "--steps",
                "2",
                "--set",
                "eval.metrics=[]",
                "--set",
                "train.log_every=1",
                "--outdir",
                str(outdir),
            ]
        )
        == 0
    )
    (run,) = outdir.iterdir()
    assert json.loads((run / "summary.json").read_text())["step"] == 2
    for record in map(json.loads, (run / "stats.jsonl").read_text().splitlines()):
        assert all(math.isfinite(value) for value in record.values()), record


def test_a_damaged_idx_file_is_one_line_and_exit_2(tmp_path: Path, capsys):
    root = tmp_path / "mnist"
    root.mkdir()
    (root / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 20)  # label magic on images
    (root / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    code = cli.main(
        [
            "train",
            "--preset",
            "wgan-gp-mnist",
            "--set",
            f"data.root={json.dumps(str(root))}",
            "--outdir",
            str(tmp_path / "runs"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "train-images-idx3-ubyte" in err
    assert not (tmp_path / "runs").exists()
