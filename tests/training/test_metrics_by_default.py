"""Image runs measured by default: "auto" resolved once at build (training/build.py `resolved`) into the extractor a
run records, or image metrics off with one line saying why and what turns them on (metrics/inception.py
`unavailable`). Inception itself is replaced here; with torch-fidelity installed,
tests/metrics/test_inception_by_default.py runs the same path with a stand-in network."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from tests.data.conftest import write_idx
from tests.hostile import refused
from wganlab import cli, runlogs
from wganlab import config as configuration
from wganlab.errors import ConfigError
from wganlab.metrics import inception
from wganlab.training import build

NOT_INSTALLED = "torch-fidelity is not installed; turn them on with: pip install 'torch-fidelity>=0.3'"


def fake_mnist(root: Path, count: int = 120) -> Path:
    """MNIST-format IDX files of `count` 28x28 digits (scikit-learn's 8x8 ones, each pixel 3x3, padded by 2)."""
    digits = load_digits()
    images = np.kron(digits.images[:count] * (255 / 16), np.ones((3, 3))).round().astype(np.uint8)
    write_idx(root, "train", np.pad(images, ((0, 0), (2, 2), (2, 2))), digits.target[:count].astype(np.uint8))
    return root


def without_torch_fidelity(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where torch-fidelity is not installed."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: (
        None if name.partition(".")[0] == "torch_fidelity" else find_spec(name, *args)))


@pytest.mark.parametrize("data", ["mnist", "cifar10", "folder", "npz"])
def test_image_data_get_inception_where_it_can_be_had_and_the_run_records_it(
        data: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inception, "unavailable", lambda: None)
    config = configuration.load(overrides=[f"data.name={data}", "eval.metrics=['fid', 'kid']"])
    resolved, said = build.resolved(config)
    assert resolved.eval.extractor == "inception" and resolved.eval.metrics == ("fid", "kid")
    assert said == ("image metrics fid, kid on inception features (eval.extractor auto: torch-fidelity's "
                    "InceptionV3 and resize (the standard FID, KID and IS protocol))",)
    assert build.resolved(resolved)[0] == resolved  # once resolved, a resume keeps it


def test_without_inception_metrics_are_off_in_the_record_and_one_line_says_how_to_turn_them_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_torch_fidelity(monkeypatch)
    assert inception.unavailable() == NOT_INSTALLED
    resolved, said = build.resolved(configuration.load(overrides=["data.name=cifar10"]))
    assert resolved.eval.metrics == () and resolved.eval.extractor == "auto"  # a resume keeps them off
    assert said == (f"image metrics off: {NOT_INSTALLED}",)


def test_digits_keep_their_own_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inception, "unavailable", lambda: pytest.fail("looked for Inception on digits"))
    resolved, (line,) = build.resolved(configuration.load(preset="digits"))
    assert resolved.eval.extractor == "digits-classifier" and "the classifier shipped for digits" in line


def test_cached_weights_need_no_fetch_and_damaged_ones_are_named(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: object())  # torch-fidelity "installed"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(inception, "torch_fidelity_inception", lambda: pytest.fail("fetched cached weights"))
    cached = inception.cached_weights()
    cached.parent.mkdir(parents=True)
    torch.save({"fc.weight": torch.zeros(1008, 2048)}, cached)  # an InceptionV3's classifier: not the release file
    assert inception.unavailable() is None
    for damaged in (cached.read_bytes()[:1000], b"weights"):  # a download cut short; something else
        cached.write_bytes(damaged)
        problem = inception.unavailable()
        assert problem is not None and problem.startswith(f"the Inception weights in torch-fidelity's cache, {cached}, "
                                                          "cannot be used (not the release file")
    torch.save({"fc.weight": torch.zeros(10, 2048)}, cached)
    assert "its fc.weight is (10, 2048), not (1008, 2048)" in str(inception.unavailable())


def test_the_mnist_recipe_without_torch_fidelity_says_so_at_start_and_trains(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    without_torch_fidelity(monkeypatch)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    root = fake_mnist(tmp_path / "mnist")
    argv = ["train", "--preset", "wgan-gp-mnist", "--steps", "2", "--set", "eval.every=1",
            "--set", f"data.root={json.dumps(str(root))}", "--set", "model.width=8", "--set", "model.latent_dim=8",
            "--set", "eval.image_samples=20", "--outdir", str(tmp_path / "runs")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(preset wgan-gp-mnist, 2 generator steps on cpu (train.device auto: no CUDA GPU))")
    assert out[1] == f"image metrics off: {NOT_INSTALLED}"
    (run,) = (tmp_path / "runs").iterdir()
    assert runlogs.read_config(run).eval.metrics == ()
    line = refused(["evaluate", str(run), "--metrics", "fid"], capsys)  # asked for: why not, not a silent nothing
    assert line == f"wganlab: error: no image metrics for {run}: {NOT_INSTALLED}; or pass --extractor"


def test_the_plateau_rule_without_an_extractor_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    without_torch_fidelity(monkeypatch)
    config = configuration.load(overrides=["data.name=cifar10", "train.stop_on_plateau=true", "eval.every=100"])
    with pytest.raises(ConfigError) as error:
        build.resolved(config)
    assert str(error.value) == f"train.stop_on_plateau judges image runs by FID, and no extractor can be had: " \
                               f"{NOT_INSTALLED}"
