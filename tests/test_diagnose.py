"""`wganlab diagnose`: a fresh probe of a real run, findings, and the one-line errors; looking at a run builds only
what the probe needs."""

from __future__ import annotations

import dataclasses
import json

from tests.tiny import TINY
from wganlab import rundir
from wganlab.cli import main
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.features import EXTRACTORS


def test_diagnostics_are_logged_each_evaluation_and_diagnose_prints_them(tmp_path, capsys):
    settings = [*TINY, "--set", "objective.penalty=none", "--set", "objective.constraint=clip",
                "--set", "eval.every=10", "--set", "eval.figures=false"]
    assert main(["train", "--steps", "30", *settings, "--outdir", str(tmp_path)]) == 0
    folder = next(tmp_path.iterdir())
    probes = list(rundir.read_jsonl(folder / rundir.DIAGNOSTICS))
    assert [p["step"] for p in probes] == [10, 20, 30]
    assert all(0.0 <= p["weights/clip_saturation"] <= 1.0 for p in probes)
    assert all(p["lipschitz/interpolated"] > 0 for p in probes)
    capsys.readouterr()
    assert main(["diagnose", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "probe of the checkpoint at step 30" in out
    assert "weights/clip_saturation" in out and "findings" in out
    (line,) = [line for line in out.splitlines() if "held-out gap (gap@step)" in line]
    logged = "  ".join(f"{p['critic/heldout_gap']:.3g}@{p['step']}" for p in probes[:2])
    assert f"{logged}  " in line and "@30  (Spearman(step, gap)" in line  # the logged probes, then the fresh one
    assert line.endswith("; too few probes for the rule)")  # the findings' rule needs 5


def test_resume_cuts_back_the_diagnostics_log(tmp_path):
    settings = [*TINY, "--set", "eval.every=10", "--set", "eval.figures=false", "--set", "train.checkpoint_every=10"]
    assert main(["train", "--steps", "20", *settings, "--outdir", str(tmp_path)]) == 0
    folder = next(tmp_path.iterdir())
    (folder / rundir.CHECKPOINTS / "checkpoint-0000020.pt").unlink()
    assert main(["train", "--resume", str(folder), "--steps", "20"]) == 0
    assert [p["step"] for p in rundir.read_jsonl(folder / rundir.DIAGNOSTICS)] == [10, 20]


def test_diagnose_errors_are_one_line(tmp_path, capsys):
    assert main(["diagnose", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a run folder" in err[0]


def test_data_limit_trains_on_a_subset_and_is_validated(tmp_path, capsys):
    settings = ["--preset", "digits", "--set", "model.width=8", "--set", "train.batch_size=16",
                "--set", "eval.image_samples=20", "--set", "eval.metrics=[]", "--set", "data.limit=50"]
    assert main(["train", "--steps", "2", *settings, "--outdir", str(tmp_path)]) == 0
    config = json.loads((next(tmp_path.iterdir()) / rundir.CONFIG).read_text())
    assert config["data"]["limit"] == 50
    capsys.readouterr()
    assert main(["train", "--dry-run", "--set", "data.limit=50"]) == 2
    assert "image data only" in capsys.readouterr().err
    assert main(["train", "--steps", "1", "--preset", "digits", "--set", "data.limit=5000",
                 "--outdir", str(tmp_path / "x")]) == 2
    assert "more than the 1437 images" in capsys.readouterr().err


def test_report_and_compare_refuse_a_folder_that_is_not_a_run(tmp_path, capsys):
    for argv in (["report", str(tmp_path)], ["compare", str(tmp_path), "--out", str(tmp_path / "c.html")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "not a run folder" in err[0]
    assert not (tmp_path / "c.html").exists()


def test_claims_refuses_bad_options_in_one_line(tmp_path, capsys):
    for argv in (["claims", "--only", "99"], ["claims", "--seeds", "0"]):
        assert main([*argv, "--out", str(tmp_path)]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_diagnose_and_report_never_build_the_feature_extractor(tmp_path, capsys, monkeypatch):
    """A run whose config names inception-v3-compat: training builds its extractor, looking at the run never does."""
    built = []

    def make(weights, device):
        built.append(weights)
        flat = lambda images: (images.reshape(len(images), -1)[:, :8].double(), None)  # noqa: E731
        return FeatureExtractor("inception-v3-compat", "fake", 8, None, flat)

    entry = EXTRACTORS["inception-v3-compat"]
    fake = dataclasses.replace(entry, input_shape=lambda weights: None, make=make)
    monkeypatch.setitem(EXTRACTORS._entries, "inception-v3-compat", fake)  # no torch-fidelity, no weights file
    monkeypatch.setenv("WGANLAB_CACHE", str(tmp_path / "cache"))
    settings = ["--preset", "digits", "--set", "model.width=8", "--set", "train.batch_size=16",
                "--set", "eval.image_samples=40", '--set', 'eval.metrics=["fid"]', "--set", "data.stack=1",
                "--set", "eval.extractor=inception-v3-compat", "--set", "eval.extractor_weights=inception.pth"]
    assert main(["train", "--steps", "2", *settings, "--outdir", str(tmp_path / "runs")]) == 0
    assert built == ["inception.pth"]  # the evaluation at the end needed features
    folder = next((tmp_path / "runs").iterdir())
    built.clear()
    assert main(["diagnose", str(folder)]) == 0
    assert main(["report", str(folder)]) == 0
    assert "probe of the checkpoint at step 2" in capsys.readouterr().out
    assert built == []
