"""`wganlab stats` and `evaluate --reference`: the real data's features kept once give the numbers the data gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.test_sample import DIGITS
from wganlab import cli
from wganlab.data.images import load_images
from wganlab.reference import read_reference


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WGANLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def samples(tmp_path) -> Path:
    """Held-out digits as a generated sample would be stored: uint8 [N, H, W]."""
    path = tmp_path / "samples.npz"
    np.savez(path, images=((load_images("digits", split="test").images[:, 0].numpy() + 1) * 127.5).round().astype(
        np.uint8))
    return path


def measured(target: Path, capsys, *extra: str) -> dict[str, str]:
    capsys.readouterr()
    assert cli.main(["evaluate", str(target), "--data", "digits", "--metrics", "fid,kid,pr", *extra]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]
    return {key.strip(): value for key, value in (line.split(" = ") for line in lines)}


def test_a_reference_with_features_gives_every_number_the_data_gives(samples, tmp_path, capsys):
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.npz"), "--features"]) == 0
    assert "1437 images of digits train, digits-classifier features" in capsys.readouterr().out
    assert measured(samples, capsys, "--reference", str(tmp_path / "ref.npz")) == measured(samples, capsys)
    real, about = read_reference(tmp_path / "ref.npz")
    assert real.count == 1437 and real.features.shape == (1437, 64) and about["extractor"] == "digits-classifier"


def test_a_statistics_only_reference_serves_fid_and_refuses_kid_in_one_line(samples, tmp_path, capsys):
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.npz")]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(samples), "--data", "digits", "--metrics", "fid",
                     "--reference", str(tmp_path / "ref.npz")]) == 0
    fid = capsys.readouterr().out.splitlines()[-1]
    assert fid == f"  fid_360 = {measured(samples, capsys)['fid_360']}"
    assert cli.main(["evaluate", str(samples), "--data", "digits", "--metrics", "kid",
                     "--reference", str(tmp_path / "ref.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--features" in err[0]


def test_a_run_measured_against_a_reference(tmp_path, capsys):
    assert cli.main(["train", *DIGITS, "--steps", "2", "--outdir", str(tmp_path / "runs")]) == 0
    run = next((tmp_path / "runs").iterdir())
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.npz"), "--features"]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(run), "--metrics", "fid,kid", "--reference", str(tmp_path / "ref.npz")]) == 0
    with_reference = capsys.readouterr().out
    assert cli.main(["evaluate", str(run), "--metrics", "fid,kid"]) == 0
    assert with_reference.splitlines()[1:] == capsys.readouterr().out.splitlines()[1:]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.write_bytes(b"not a zip"), "not a reference file written by `wganlab stats`"),
        (lambda path: np.savez(path, mean=np.zeros(3)), "not a reference file written by `wganlab stats`"),
    ],
)
def test_a_bad_reference_file_is_one_line(samples, tmp_path, capsys, make, message):
    make(tmp_path / "ref.npz")
    assert cli.main(["evaluate", str(samples), "--data", "digits", "--reference", str(tmp_path / "ref.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_reference_of_another_extractor_is_refused(samples, tmp_path, capsys):
    from wganlab.models.classifier import Classifier, save_classifier

    save_classifier(tmp_path / "mine.pt", Classifier(1, 8), {})
    assert cli.main(["stats", "digits", "--extractor", "classifier", "--extractor-weights",
                     str(tmp_path / "mine.pt"), "--out", str(tmp_path / "ref.npz")]) == 0
    assert cli.main(["evaluate", str(samples), "--data", "digits", "--metrics", "fid",
                     "--reference", str(tmp_path / "ref.npz")]) == 2
    assert "not comparable" in capsys.readouterr().err
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.txt")]) == 2
