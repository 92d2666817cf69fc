"""Real-data features cached on disk under $WGANLAB_CACHE (every row and their float64 statistics): written once,
reused, recomputed when damaged."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.training.conftest import config_with
from wganlab.data.images import load_images
from wganlab.files import cache_folder
from wganlab.integrity import content_digest
from wganlab.metrics.images import FeatureSet
from wganlab.objectives.losses import mean_difference
from wganlab.training.evaluation import ImageEvaluator, build_evaluator
from wganlab.training.feature_cache import WITH_ROWS, cached_features

pytestmark = pytest.mark.usefixtures("feature_cache")


def cached(evaluator: ImageEvaluator, images: torch.Tensor, rows: bool = True) -> FeatureSet:
    return cached_features(content_digest(images.numpy()), len(images), evaluator.feature_dim, evaluator.extractor,
                           rows, lambda needs: evaluator.summarise([images], len(images), needs).result())


def computed(evaluator: ImageEvaluator, images: torch.Tensor) -> FeatureSet:
    return evaluator.summarise([images], len(images), WITH_ROWS).result()


def _digits_evaluator() -> ImageEvaluator:
    evaluator = build_evaluator(config_with(**{"data.name": "digits"}), load_images("digits"), mean_difference)
    assert isinstance(evaluator, ImageEvaluator)
    return evaluator


def _assert_same(a: FeatureSet, b: FeatureSet) -> None:
    assert a.features is not None and b.features is not None
    assert_close(torch.from_numpy(a.features), torch.from_numpy(b.features), rtol=0, atol=0)
    for x, y in zip(a.gaussian(), b.gaussian(), strict=True):
        assert_close(torch.from_numpy(x), torch.from_numpy(y), rtol=0, atol=0)


def _marked(count: int, value: float) -> FeatureSet:
    """A sound feature set, unlike any real one."""
    features = np.full((count, 64), value) + np.eye(count, 64)
    mean, covariance = FeatureSet(features, None).gaussian()
    return FeatureSet(features, None, (mean, covariance))


def test_cached_features_are_written_under_wganlab_cache_and_reused(feature_cache: Path) -> None:
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:50]
    first = cached(evaluator, images)
    assert cache_folder() == feature_cache
    (path,) = (feature_cache / "real-features").iterdir()  # one entry, no temporary file left behind
    assert path.suffix == ".npz"
    _assert_same(first, computed(evaluator, images))
    assert first.features is not None and first.features.shape == (50, 64) and first.count == 50
    assert first.gaussian()[1].shape == (64, 64)

    # a second call reads the file (a marked sound entry, written in its place, comes back), and checks it
    path.unlink()
    marked = cached_features(content_digest(images.numpy()), 50, evaluator.feature_dim, evaluator.extractor, True,
                             lambda needs: _marked(50, 7.0))
    assert [path] == list((feature_cache / "real-features").iterdir())
    _assert_same(marked, _marked(50, 7.0))
    _assert_same(cached(evaluator, images), _marked(50, 7.0))

    # other images are another entry
    cached(evaluator, evaluator.dataset.images[:20])
    assert len(list((feature_cache / "real-features").iterdir())) == 2


def _damaged_compressed(entry: bytes) -> bytes:
    """The entry's arrays written compressed, with 30 bytes of the covariance's compressed data inverted."""
    with np.load(io.BytesIO(entry)) as saved:
        arrays = dict(saved)
    written = io.BytesIO()
    np.savez_compressed(written, **arrays)
    data = bytearray(written.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("covariance.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the local header is 30 bytes + names
    data[start + 10 : start + 40] = bytes(byte ^ 0xFF for byte in data[start + 10 : start + 40])
    return bytes(data)


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "pickle-like",
        "truncated",  # np.load raises zipfile.BadZipFile
        "empty",  # np.load raises EOFError
        "an .npy array",  # np.load returns an ndarray, no archive: replaced by another file of numpy's
        "compressed, damaged",  # reading the member raises zlib.error
    ],
)
def test_a_damaged_cache_file_is_recomputed_and_rewritten(feature_cache: Path, capsys, damage: str) -> None:
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:30]
    fresh = cached(evaluator, images)
    (path,) = (feature_cache / "real-features").iterdir()
    good = path.read_bytes()
    npy = io.BytesIO()
    np.save(npy, fresh.features)
    damaged = {
        "garbage": b"not an npz file",
        "pickle-like": good[100:],
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "an .npy array": npy.getvalue(),
        "compressed, damaged": _damaged_compressed(good),
    }[damage]
    path.write_bytes(damaged)
    capsys.readouterr()
    _assert_same(cached(evaluator, images), fresh)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{path} cannot be read (" in lines[0] and "extracting" in lines[0], lines
    assert damage != "an .npy array" or "it is not an .npz archive" in lines[0]
    with np.load(path) as saved:
        _assert_same(FeatureSet(saved["features"], None, (saved["mean"], saved["covariance"])), fresh)


def test_an_entry_of_layout_3_is_not_found_and_not_reported(feature_cache: Path, capsys) -> None:
    """Layout 3 kept one digest of all the arrays, with their shapes and dtypes: an entry of it, where that layout
    kept it, is not read (nor reported as damaged); the features are extracted and kept as an entry of today's."""
    import json

    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:30]
    extractor = evaluator.extractor
    key = f"{content_digest(images.numpy())}:{extractor.name}:{extractor.weights_id}:30:layout3"
    old = feature_cache / "real-features" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    old.parent.mkdir(parents=True)
    marked = _marked(30, 7.0)
    arrays = {"features": marked.features, "mean": marked.gaussian()[0], "covariance": marked.gaussian()[1]}
    about = {"shapes": {name: list(array.shape) for name, array in arrays.items()},
             "dtypes": {name: array.dtype.str for name, array in arrays.items()}, "digest": "0" * 64}
    np.savez(old, about=np.array(json.dumps(about)), **arrays)
    written = old.read_bytes()
    capsys.readouterr()
    _assert_same(cached(evaluator, images), computed(evaluator, images))
    assert capsys.readouterr().err == ""
    assert old.read_bytes() == written and len(list(old.parent.iterdir())) == 2


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("a changed value", "has changed since it was written (features: the digest does not match)"),
        ("a changed mean", "has changed since it was written (mean: the digest does not match)"),
        ("another shape", "holds arrays of shapes"),
        ("NaN, its digest made again", "is unsound: its feature rows hold NaN or infinite values"),
        ("another dtype", "has changed since it was written (features: the digest does not match)"),
        ("a big-endian mean", "has changed since it was written (mean: the digest does not match)"),
        ("dates", "has changed since it was written (features: the digest does not match)"),  # no buffer format
        ("no record", "cannot be read (it holds no 'about')"),
        ("no mean", "cannot be read (it holds no 'mean')"),
    ],
)
def test_a_changed_or_unsound_entry_is_reported_in_one_line_and_extracted_again(feature_cache: Path, capsys,
                                                                                damage: str, message: str) -> None:
    """An entry of the right size whose values were changed is not used silently; neither is one of another shape
    or with NaN inside (which used to crash the run's final evaluation)."""
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:30]
    fresh = cached(evaluator, images)
    (path,) = (feature_cache / "real-features").iterdir()
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    changed = arrays["features"].copy()
    changed[3, 7] += 1.0
    nan = arrays["features"].copy()
    nan[0, 0] = np.nan
    import json

    about = json.loads(str(arrays["about"]))
    renewed = np.array(json.dumps({"digests": about["digests"] | {"features": content_digest(nan)}}))
    arrays |= {
        "a changed value": {"features": changed},
        "a changed mean": {"mean": arrays["mean"] * 1.001},
        "another shape": {"features": arrays["features"][:20]},
        "NaN, its digest made again": {"features": nan, "about": renewed},
        "another dtype": {"features": arrays["features"].astype(np.float32)},
        "a big-endian mean": {"mean": arrays["mean"].astype(">f8")},
        "dates": {"features": np.zeros(arrays["features"].shape, "M8[s]")},
        "no record": {},
        "no mean": {},
    }[damage]
    if damage in ("no record", "no mean"):
        del arrays["about" if damage == "no record" else "mean"]
    np.savez(path, **arrays)
    capsys.readouterr()
    _assert_same(cached(evaluator, images), fresh)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(path) in lines[0] and "extracting" in lines[0], lines
    capsys.readouterr()
    _assert_same(cached(evaluator, images), fresh)  # rewritten: read back sound, without a word
    assert capsys.readouterr().err == ""


def test_a_run_that_needs_only_the_statistics_reads_and_holds_only_them(feature_cache: Path, monkeypatch,
                                                                       capsys) -> None:
    """FID needs the mean and covariance: an entry made for statistics keeps no rows, an entry with rows serves
    statistics without its rows being read, and a run that needs rows an entry lacks extracts again, silently
    (nothing was damaged), and keeps them."""
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:40]
    full = computed(evaluator, images)
    statistics = cached(evaluator, images, rows=False)
    assert statistics.features is None and statistics.count == 40
    for x, y in zip(statistics.gaussian(), full.gaussian(), strict=True):
        assert_close(torch.from_numpy(x), torch.from_numpy(y), rtol=0, atol=0)
    (path,) = (feature_cache / "real-features").iterdir()
    with np.load(path) as saved:
        assert sorted(saved.files) == ["about", "covariance", "mean"]
    _assert_same(cached(evaluator, images), full)  # rows needed: extracted again and kept
    with np.load(path) as saved:
        assert "features" in saved.files
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(evaluator, "summarise", lambda *args: pytest.fail("extracted again"))
    read: list[str] = []
    load = np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", lambda self, name: read.append(name) or load(self, name))
    assert cached(evaluator, images, rows=False).features is None
    assert "features" not in read and {"mean", "covariance"} <= set(read)


def test_an_unwritable_cache_is_skipped_with_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("WGANLAB_CACHE", str(blocker / "cache"))  # a folder cannot be made under a file
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:10]
    capsys.readouterr()
    _assert_same(cached(evaluator, images), computed(evaluator, images))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cannot write the feature cache in") and "going on" in lines[0]


def test_a_full_disk_is_skipped_with_one_line_and_leaves_no_file(feature_cache: Path, monkeypatch, capsys) -> None:
    import errno

    from wganlab.training import feature_cache as module

    def full(stream, **arrays):
        stream.write(b"part of an entry")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module.np, "savez", full)
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:10]
    capsys.readouterr()
    _assert_same(cached(evaluator, images), computed(evaluator, images))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "(No space left on device); going on without it" in lines[0]
    assert list((feature_cache / "real-features").iterdir()) == []


def test_the_cache_folder_defaults_to_the_home_cache(monkeypatch) -> None:
    monkeypatch.delenv("WGANLAB_CACHE")
    assert cache_folder() == Path.home() / ".cache" / "wganlab"


def test_an_array_s_digest_is_that_of_its_dtype_shape_and_bytes_whatever_the_dtype() -> None:
    """The digest entries were written with (so the entries of earlier versions stay valid), for every dtype a
    file can hold: big-endian and dates too, which have no buffer format of their own."""
    rng = np.random.default_rng(0)
    arrays = [rng.random((50, 64)).astype(np.float32), rng.random((64, 64)), np.asfortranarray(rng.random((5, 7))),
              rng.integers(0, 256, (3, 4, 5), dtype=np.uint8), rng.random((10, 8))[:, ::2], np.float64(2.5)[()],
              np.zeros((0, 64)), rng.random(6).astype(">f8"), np.arange(6).astype("M8[s]")]
    for array in arrays:
        expected = hashlib.sha256(f"{array.dtype.str}{array.shape};".encode() + array.tobytes()).hexdigest()
        assert content_digest(np.asarray(array)) == expected, array.dtype
    assert content_digest(np.arange(4.0)) == content_digest(np.arange(4.0).astype(">f8").astype("<f8"))
    assert content_digest(np.arange(4.0)) != content_digest(np.arange(4.0).astype(">f8"))
