"""Caches are never trusted blindly, end to end: a run on a folder whose decoded-image cache and real-feature
cache were tampered with (a pixel, a feature value, sizes unchanged) says so in one line each, rebuilds them, and
measures what a run without any cache measures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wganlab import cli
from wganlab.data.images import load_images


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """300 digits as 8-bit grayscale PNGs in class folders, as a user keeps their own images."""
    digits = load_images("digits")
    root = tmp_path / "data"
    for index in range(300):
        path = root / str(int(digits.labels[index])) / f"{index:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = ((digits.images[index, 0].numpy() + 1) * 127.5).round().astype(np.uint8)
        Image.fromarray(pixels, mode="L").save(path)
    return root


def _run(folder: Path, out: Path, cache: Path, monkeypatch, capsys) -> tuple[dict, list[str]]:
    """The run's final metrics (the protocol's numbers) and what it printed to stderr."""
    monkeypatch.setenv("WGANLAB_CACHE", str(cache))
    capsys.readouterr()
    assert cli.main(["train", "--preset", "digits", "--set", "data.name=folder", "--set", f"data.root={folder}",
                     "--set", "eval.extractor=digits-classifier", "--set", "eval.image_samples=200", "--set",
                     "model.width=8", "--steps", "2", "--set", "eval.every=0", "--outdir", str(out)]) == 0
    (run,) = out.iterdir()
    (metrics,) = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    numbers = {key: value for key, value in metrics.items() if key.endswith("_200")}
    assert "fid_200" in numbers and "kid_200" in numbers
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("decoding ")]  # progress
    return numbers, err


def test_a_tampered_image_cache_and_feature_cache_are_reported_rebuilt_and_change_no_number(
        folder: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    without, _ = _run(folder, tmp_path / "without", blocker / "cache", monkeypatch, capsys)  # no cache can be made
    cache = tmp_path / "cache"
    first, err = _run(folder, tmp_path / "first", cache, monkeypatch, capsys)
    assert first == without and err == []

    (entry,) = (path for path in (cache / "images").iterdir() if path.name != "index")
    pixels = np.load(entry / "pixels.npy", mmap_mode="r+")
    pixels[7, 0, 3, 4] ^= 0x40  # one pixel of the training data
    pixels.flush()
    del pixels
    (features_entry,) = (cache / "real-features").iterdir()
    with np.load(features_entry) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["features"][0, 0] += 0.5  # one value of FID's reference
    np.savez(features_entry, **arrays)

    tampered, err = _run(folder, tmp_path / "tampered", cache, monkeypatch, capsys)
    assert len(err) == 2, err
    assert err[0].startswith(f"image cache entry {entry} is damaged (pixels.npy changed since it was written")
    assert err[1].startswith(f"the feature cache entry {features_entry} has changed since it was written")
    assert tampered == without
    again, err = _run(folder, tmp_path / "again", cache, monkeypatch, capsys)  # rebuilt: used without a word
    assert again == without and err == []
