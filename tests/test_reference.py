"""`wganlab stats` and `evaluate --reference`: the real data's features kept once give the numbers the data gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.hostile import refused
from tests.tiny import DIGITS
from wganlab import cli, evaluate
from wganlab.data.images import load_images
from wganlab.reference import read_reference


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
    assert "--features" in refused(["evaluate", str(samples), "--data", "digits", "--metrics", "kid",
                                    "--reference", str(tmp_path / "ref.npz")], capsys)


def test_a_run_measured_against_a_reference(tmp_path, capsys):
    assert cli.main(["train", *DIGITS, "--steps", "2", "--outdir", str(tmp_path / "runs")]) == 0
    run = next((tmp_path / "runs").iterdir())
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.npz"), "--features"]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(run), "--metrics", "fid,kid", "--reference", str(tmp_path / "ref.npz")]) == 0
    with_reference = capsys.readouterr().out
    assert cli.main(["evaluate", str(run), "--metrics", "fid,kid"]) == 0
    assert with_reference.splitlines()[1:] == capsys.readouterr().out.splitlines()[1:]


def _as_npy(path: Path, array: np.ndarray) -> None:
    """`array` as an .npy file, under whatever name `path` has."""
    with path.open("wb") as file:
        np.save(file, array)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.write_bytes(b"not a zip"), "not a reference file written by `wganlab stats`"),
        (lambda path: np.savez(path, mean=np.zeros(3)), "not a reference file written by `wganlab stats`"),
        (lambda path: _as_npy(path, np.zeros((4, 4))), "(it is not an .npz archive"),  # an .npy renamed
        (lambda path: _as_npy(path, np.array([{"a": 1}], dtype=object)),  # refused before a byte of it is read
         "(it is not an .npz archive (it has no zip directory))"),
    ],
)
def test_a_bad_reference_file_is_one_line(samples, tmp_path, capsys, make, message):
    make(tmp_path / "ref.npz")
    line = refused(["evaluate", str(samples), "--data", "digits", "--reference", str(tmp_path / "ref.npz")], capsys)
    assert message in line and str(tmp_path / "ref.npz") in line, line


def test_a_reference_of_another_extractor_is_refused(samples, tmp_path, capsys):
    from wganlab.models.classifier import Classifier, save_classifier

    save_classifier(tmp_path / "mine.pt", Classifier(1, 8), {})
    assert cli.main(["stats", "digits", "--extractor", "classifier", "--extractor-weights",
                     str(tmp_path / "mine.pt"), "--out", str(tmp_path / "ref.npz")]) == 0
    assert cli.main(["evaluate", str(samples), "--data", "digits", "--metrics", "fid",
                     "--reference", str(tmp_path / "ref.npz")]) == 2
    assert "not comparable" in capsys.readouterr().err
    assert cli.main(["stats", "digits", "--out", str(tmp_path / "ref.txt")]) == 2


@pytest.fixture(scope="module")
def good_reference(tmp_path_factory) -> dict[str, np.ndarray]:
    """The arrays of a sound digits reference with every feature (made once for the damaged variants)."""
    folder = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own: it is made before any test's
        patch.setenv("WGANLAB_CACHE", str(folder / "cache"))
        assert cli.main(["stats", "digits", "--out", str(folder / "ref.npz"), "--features"]) == 0
    with np.load(folder / "ref.npz") as saved:
        return {name: saved[name] for name in saved.files}


def _about(arrays, **changes):
    import json

    about = json.loads(str(arrays["about"])) | changes
    return np.array(json.dumps(about))


def _without_count(arrays):
    import json

    about = json.loads(str(arrays["about"]))
    del about["count"]
    return np.array(json.dumps(about))


def _indefinite(covariance):
    values, vectors = np.linalg.eigh(covariance)
    values[-1] = -values[-1]  # the largest variance made negative
    return (vectors * values) @ vectors.T


# each damage a hostile-input probe found (traceback, or a number computed from it), and what the line names
DAMAGED = {
    "mean of 2 dimensions": (lambda a: a | {"mean": a["mean"][None]}, "its mean has shape [1, 64], not [D]"),
    "covariance of another shape": (lambda a: a | {"covariance": a["covariance"][:, :10]},
                                    "its covariance has shape [64, 10], not [64, 64]"),
    "mean and covariance of different sizes": (lambda a: a | {"mean": a["mean"][:10]},
                                               "its covariance has shape [64, 64], not [10, 10]"),
    "NaN in the mean": (lambda a: a | {"mean": np.where(np.arange(64) == 3, np.nan, a["mean"])},
                        "its mean holds NaN or infinite values"),
    "inf in the covariance": (lambda a: a | {"covariance": np.where(np.eye(64) > 0, np.inf, a["covariance"])},
                              "its covariance holds NaN or infinite values"),
    "NaN in a feature": (lambda a: a | {"features": np.where(np.arange(64) == 5, np.nan, a["features"])},
                         "its feature rows hold NaN or infinite values"),
    "integer mean": (lambda a: a | {"mean": a["mean"].round().astype(np.int64)},
                     "its mean is int64, not floating point"),
    "text covariance": (lambda a: a | {"covariance": a["covariance"].astype(str)}, "its covariance is <U"),
    "negative covariance": (lambda a: a | {"covariance": -a["covariance"]}, "no positive variance"),
    "zero covariance": (lambda a: a | {"covariance": np.zeros_like(a["covariance"])}, "no positive variance"),
    "indefinite covariance": (lambda a: a | {"covariance": _indefinite(a["covariance"])},
                              "its covariance is not positive semi-definite"),
    "asymmetric covariance": (lambda a: a | {"covariance": a["covariance"] + np.triu(a["covariance"], 1)},
                              "its covariance is not symmetric"),
    "text count": (lambda a: a | {"about": _about(a, count="1437")}, "its image count is '1437'"),
    "no count": (lambda a: a | {"about": _without_count(a)}, "its image count is None"),
    "zero count": (lambda a: a | {"about": _about(a, count=0)}, "its image count is 0"),
    "negative count": (lambda a: a | {"about": _about(a, count=-5)}, "its image count is -5"),
    "fractional count": (lambda a: a | {"about": _about(a, count=1437.5)}, "its image count is 1437.5"),
    "count of other rows": (lambda a: a | {"about": _about(a, count=1000)},
                            "its feature rows have shape [1437, 64], not [1000, 64]"),
    "a list where the table belongs": (lambda a: a | {"about": np.array('["format", "extractor"]')},
                                       "not a reference file written by `wganlab stats` (no"),
    "about not JSON": (lambda a: a | {"about": np.array("{format: 1")}, "not a reference file written by"),
    "about nested 100000 deep": (lambda a: a | {"about": np.array("[" * 100_000 + "]" * 100_000)},  # json.loads:
                                 "its JSON is nested too deeply to read"),  # a RecursionError traceback
    "no extractor named": (lambda a: a | {"about": _about(a, extractor=None)}, "its 'extractor' is None"),
    "a shape of two sides": (lambda a: a | {"about": _about(a, shape=[8, 8])},
                             "its 'shape' is [8, 8], not the three sides of its images"),
    "a shape in text": (lambda a: a | {"about": _about(a, shape="1x8x8")},
                        "its 'shape' is '1x8x8', not the three sides of its images"),
    "another image size": (lambda a: a | {"about": _about(a, shape=[1, 16, 16])},
                           "holds features of images of shape (1, 16, 16), and these are (1, 8, 8)"),
    "no covariance": (lambda a: {k: v for k, v in a.items() if k != "covariance"}, "without 'mean' and 'covariance'"),
    "features of other dimensions": (lambda a: a | {"features": a["features"][:, :10]},
                                     "its feature rows have shape [1437, 10], not [1437, 64]"),
    "statistics of other dimensions": (
        lambda a: a | {"mean": a["mean"][:10], "covariance": a["covariance"][:10, :10],
                       "features": a["features"][:, :10]},
        "holds features of 10 dimensions, and digits-classifier makes 64 of these images"),
    "an object array": (lambda a: a | {"mean": np.array([{"a": 1}], dtype=object)}, "Object arrays cannot be loaded"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_reference_is_refused_in_one_line_and_nothing_is_measured(samples, tmp_path, capsys,
                                                                            good_reference, damage, monkeypatch):
    make, message = DAMAGED[damage]
    path = tmp_path / "ref.npz"
    np.savez(path, **make(dict(good_reference)))
    measured_here: list[object] = []
    monkeypatch.setattr(evaluate, "image_metrics", lambda *args: measured_here.append(args))
    line = refused(["evaluate", str(samples), "--data", "digits", "--metrics", "fid,kid,pr", "--reference", str(path)],
                   capsys)
    assert message in line and str(path) in line and not measured_here, line


def test_the_sound_reference_the_damaged_ones_come_from_is_accepted(samples, tmp_path, capsys, good_reference):
    np.savez(tmp_path / "ref.npz", **good_reference)
    measured_against = measured(samples, capsys, "--reference", str(tmp_path / "ref.npz"))
    assert measured_against == measured(samples, capsys)
    # a float32 copy (rounding near -1e-7 of the mean variance in its eigenvalues) is sound too, and measures the
    # same to float32's rounding of the statistics (a relative 6e-8 each; 1e-3 leaves room for FID's square root
    # of a product of them on every CPU, and is far below what a wrong reference moves)
    np.savez(tmp_path / "ref32.npz", **good_reference | {name: good_reference[name].astype(np.float32)
                                                          for name in ("mean", "covariance", "features")})
    single = measured(samples, capsys, "--reference", str(tmp_path / "ref32.npz"))
    assert single.keys() == measured_against.keys()
    assert all(float(single[key]) == pytest.approx(float(value), rel=1e-3, abs=1e-6)
               for key, value in measured_against.items()), (single, measured_against)


def test_a_reference_s_feature_rows_are_read_only_for_the_metrics_that_need_them(samples, tmp_path, capsys,
                                                                                 good_reference, monkeypatch):
    """FID needs the mean and covariance: its rows (400 MB for 50k images) are neither read nor checked, with the
    data (--data) or without; KID reads and checks them (rows with NaN: refused in one line)."""
    np.savez(tmp_path / "ref.npz", **good_reference)
    read: list[str] = []
    load = np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", lambda self, name: read.append(name) or load(self, name))
    command = ["evaluate", str(samples), "--data", "digits", "--reference", str(tmp_path / "ref.npz"), "--metrics"]
    assert cli.main([*command, "fid"]) == 0
    assert {"mean", "covariance"} <= set(read) and "features" not in read
    read.clear()  # the reference alone, without --data, is the real side: its rows are read as rarely
    assert cli.main(["evaluate", str(samples), "--reference", str(tmp_path / "ref.npz"), "--metrics", "fid"]) == 0
    assert {"mean", "covariance"} <= set(read) and "features" not in read
    assert cli.main(["evaluate", str(samples), "--reference", str(tmp_path / "ref.npz"), "--metrics", "kid"]) == 0
    assert "features" in read
    read.clear()
    assert cli.main([*command, "kid"]) == 0 and "features" in read
    np.savez(tmp_path / "ref.npz", **good_reference | {"features": good_reference["features"] * np.nan})
    assert "its feature rows hold NaN or infinite values" in refused([*command, "kid"], capsys)
