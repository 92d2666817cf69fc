"""pytorch-fid's and TTUR's statistics ('mu' [2048], 'sigma' [2048, 2048]) as `--reference`: read and checked as
our own, FID only (the metrics that need every real feature refused in one line), Inception's features only. The
numbers measured against such a file, with an Inception stand-in: tests/metrics/test_inception_by_default.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.hostile import refused
from wganlab import evaluate
from wganlab.reference import read_reference

WIDTH = 2048  # Inception's pool3 features


def sound(seed: int = 0) -> dict[str, np.ndarray]:
    """A mean and a covariance as pytorch-fid writes them (np.mean of float32 features: float32; np.cov: float64)."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((300, WIDTH)).astype(np.float32)
    return {"mu": features.mean(axis=0), "sigma": np.cov(features, rowvar=False)}


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    path = tmp_path / "samples.npz"
    np.savez(path, images=np.random.default_rng(1).integers(0, 256, (20, 8, 8), dtype=np.uint8))
    return path


def test_a_pytorch_fid_file_is_read_as_inception_statistics_of_an_unrecorded_count(tmp_path: Path) -> None:
    arrays = sound()
    np.savez(tmp_path / "fid_stats.npz", **arrays)
    real, about = read_reference(tmp_path / "fid_stats.npz")
    mean, covariance = real.gaussian()
    assert mean.dtype == covariance.dtype == np.float64
    np.testing.assert_array_equal(mean, arrays["mu"].astype(np.float64))
    np.testing.assert_array_equal(covariance, arrays["sigma"])
    assert real.features is None and real.count == 0  # 0: not recorded
    assert about["extractor"] == "inception" and about["count"] is None and "pytorch-fid/TTUR" in about["real"]


def _unit() -> np.ndarray:
    return np.full(WIDTH, WIDTH**-0.5)  # a unit vector: one eigenvalue pushed below zero, the trace still positive


def _damaged(arrays: dict[str, np.ndarray], key: str, value: object) -> dict[str, object]:
    return arrays | {key: value}


def _truncated(path: Path) -> None:
    """A sound file whose sigma member is cut short: its header says [2048, 2048], its data end early."""
    arrays = sound()
    with zipfile.ZipFile(path, "w") as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{key}.npy", member.getvalue()[: 200 if key == "sigma" else None])


def _huge(path: Path) -> None:
    """A few bytes whose sigma header claims 10^6 x 10^6 float64 (7 TiB): refused before anything is allocated."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    mean = io.BytesIO()
    np.save(mean, sound()["mu"])
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mu.npy", mean.getvalue())
        archive.writestr("sigma.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 64)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: np.savez(p, **_damaged(sound(), "mu", sound()["mu"][:64])), "its mu has shape [64], not [2048]"),
        (lambda p: np.savez(p, **_damaged(sound(), "sigma", sound()["sigma"][:, :2047])),
         "its sigma has shape [2048, 2047], not [2048, 2048]"),
        (lambda p: np.savez(p, **_damaged(sound(), "mu", np.float64(1.0))), "its mu has shape [], not [2048]"),
        (lambda p: np.savez(p, **_damaged(sound(), "mu", sound()["mu"].astype(str))), "its mu is <U"),
        (lambda p: np.savez(p, **_damaged(sound(), "mu", np.array([object()] * WIDTH, dtype=object))),
         "its mu is object, not floating point"),  # never unpickled
        (lambda p: np.savez(p, **_damaged(sound(), "mu", np.where(np.arange(WIDTH) == 5, np.nan, sound()["mu"]))),
         "NaN or infinite"),
        (lambda p: np.savez(p, **_damaged(sound(), "sigma", -sound()["sigma"])), "no positive variance"),
        (lambda p: np.savez(p, **_damaged(sound(), "sigma", sound()["sigma"] + np.triu(np.ones((WIDTH, WIDTH)), 1))),
         "its sigma is not symmetric"),
        (lambda p: np.savez(p, **_damaged(sound(), "sigma", sound()["sigma"] - 5 * np.outer(*2 * [_unit()]))),
         "its sigma is not positive semi-definite"),
        (_truncated, "it cannot be read"),
        (_huge, "its sigma has shape [1000000, 1000000], not [2048, 2048]"),
    ],
)
def test_a_malformed_pytorch_fid_file_is_refused_in_one_line(samples: Path, tmp_path: Path, capsys, write,
                                                             message: str) -> None:
    write(tmp_path / "fid_stats.npz")
    line = refused(["evaluate", str(samples), "--metrics", "fid", "--reference", str(tmp_path / "fid_stats.npz")],
                   capsys)
    assert message in line and "fid_stats.npz cannot be measured against" in line, line


def test_a_file_with_an_about_record_or_without_sigma_is_not_taken_for_one(samples: Path, tmp_path: Path,
                                                                           capsys) -> None:
    np.savez(tmp_path / "mu_only.npz", mu=sound()["mu"])
    line = refused(["evaluate", str(samples), "--metrics", "fid", "--reference", str(tmp_path / "mu_only.npz")],
                   capsys)
    assert "nor pytorch-fid's or TTUR's statistics ('mu' and 'sigma')" in line
    np.savez(tmp_path / "about.npz", about=np.array("{}"), **sound())
    line = refused(["evaluate", str(samples), "--metrics", "fid", "--reference", str(tmp_path / "about.npz")], capsys)
    assert "it holds ['about', 'mu', 'sigma'], without 'mean' and 'covariance'" in line


def test_another_extractor_than_inception_is_refused_in_one_line(samples: Path, tmp_path: Path, capsys) -> None:
    np.savez(tmp_path / "fid_stats.npz", **sound())
    line = refused(["evaluate", str(samples), "--data", "digits", "--extractor", "digits-classifier", "--metrics",
                    "fid", "--reference", str(tmp_path / "fid_stats.npz")], capsys)
    assert "holds Inception statistics" in line and "--extractor inception" in line


def test_stats_writes_the_format_for_inception_alone_and_without_rows(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "ref.npz")
    line = refused(["stats", "digits", "--format", "pytorch-fid", "--out", out], capsys)
    assert "the pytorch-fid format holds Inception statistics, and the extractor is digits-classifier" in line
    line = refused(["stats", "digits", "--format", "pytorch-fid", "--features", "--out", out], capsys)
    assert "drop --features" in line
    assert not Path(out).exists()


@pytest.mark.parametrize(("metrics", "named"), [("kid", "kid needs"), ("fid,pr", "pr needs"),
                                                ("fid,kid,is,pr", "kid and pr need")])
def test_metrics_that_need_every_real_feature_are_refused_before_any_sample_is_read(
        samples: Path, tmp_path: Path, capsys, monkeypatch, metrics: str, named: str) -> None:
    np.savez(tmp_path / "fid_stats.npz", **sound())
    monkeypatch.setattr(evaluate, "load_images", lambda *args, **kwargs: pytest.fail("read the samples first"))
    line = refused(["evaluate", str(samples), "--metrics", metrics, "--reference", str(tmp_path / "fid_stats.npz")],
                   capsys)
    assert f"keeps only FID's mean and covariance (pytorch-fid/TTUR statistics), and {named} every real feature" in line


def test_stats_of_one_image_write_nothing_and_say_why(tmp_path: Path, capsys) -> None:
    np.savez(tmp_path / "one.npz", images=np.full((1, 8, 8), 77, dtype=np.uint8))
    line = refused(["stats", "npz", "--root", str(tmp_path / "one.npz"), "--extractor", "digits-classifier",
                    "--out", str(tmp_path / "ref.npz")], capsys)
    assert "npz train has 1 image: a covariance needs at least 2" in line and not (tmp_path / "ref.npz").exists()
