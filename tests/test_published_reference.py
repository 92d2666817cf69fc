"""pytorch-fid's and TTUR's statistics ('mu' [2048], 'sigma' [2048, 2048]) as `--reference`: read and checked as
our own, FID only (the metrics that need every real feature refused in one line), Inception's features only. The
numbers measured against such a file, with an Inception stand-in: tests/metrics/test_inception_by_default.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.hostile import refused
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: _damaged(a, "mu", a["mu"][:64]), "its covariance has shape [2048, 2048], not [64, 64]"),
        (lambda a: {"mu": a["mu"][:64], "sigma": a["sigma"][:64, :64]},
         "its mu has 64 values, not the 2048 of Inception's pool3 features"),
        (lambda a: _damaged(a, "sigma", a["sigma"][:, :2047]), "its covariance has shape [2048, 2047]"),
        (lambda a: _damaged(a, "mu", np.where(np.arange(WIDTH) == 5, np.nan, a["mu"])), "NaN or infinite"),
        (lambda a: _damaged(a, "sigma", -a["sigma"]), "no positive variance"),
        (lambda a: _damaged(a, "sigma", a["sigma"] + np.triu(np.ones((WIDTH, WIDTH)), 1)), "not symmetric"),
        (lambda a: _damaged(a, "sigma", a["sigma"] - 5 * np.diag(a["sigma"]).mean() * np.outer(*2 * [_unit()])),
         "not positive semi-definite"),
        (lambda a: _damaged(a, "mu", a["mu"].astype(str)), "its mean is <U"),
        (lambda a: _damaged(a, "mu", np.float64(1.0)), "its mean has shape [], not [D]"),
    ],
)
def test_a_malformed_pytorch_fid_file_is_refused_in_one_line(samples: Path, tmp_path: Path, capsys, change,
                                                             message: str) -> None:
    np.savez(tmp_path / "fid_stats.npz", **change(sound()))
    line = refused(["evaluate", str(samples), "--metrics", "fid", "--reference", str(tmp_path / "fid_stats.npz")],
                   capsys)
    assert message in line and "fid_stats.npz cannot be measured against" in line, line


@pytest.mark.parametrize("metrics", ["kid", "fid,pr", "fid,kid,is"])
def test_metrics_that_need_every_real_feature_are_refused_in_one_line(samples: Path, tmp_path: Path, capsys,
                                                                      metrics: str) -> None:
    np.savez(tmp_path / "fid_stats.npz", **sound())
    line = refused(["evaluate", str(samples), "--data", "digits", "--extractor", "inception", "--extractor-weights",
                    str(tmp_path / "unused.pth"), "--metrics", metrics, "--reference",
                    str(tmp_path / "fid_stats.npz")], capsys)
    assert "does not exist" in line or "not found" in line or "torch-fidelity" in line  # the extractor first
    line = refused(["evaluate", str(samples), "--data", "digits", "--extractor", "digits-classifier", "--metrics",
                    metrics, "--reference", str(tmp_path / "fid_stats.npz")], capsys)
    assert "holds Inception statistics" in line and "--extractor inception" in line


def test_stats_writes_the_format_for_inception_alone_and_without_rows(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "ref.npz")
    line = refused(["stats", "digits", "--format", "pytorch-fid", "--out", out], capsys)
    assert "the pytorch-fid format holds Inception statistics, and the extractor is digits-classifier" in line
    line = refused(["stats", "digits", "--format", "pytorch-fid", "--features", "--out", out], capsys)
    assert "drop --features" in line
    assert not Path(out).exists()
