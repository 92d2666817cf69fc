"""Files written whole or not at all: the old file survives a failed write and no temporary file is left."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import pytest

from wganlab.files import open_npz, parse_json, write_bytes_atomic, write_json_atomic


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_write_replaces_the_file(tmp_path: Path):
    path = tmp_path / "config.json"
    write_bytes_atomic(path, b"first")
    write_bytes_atomic(path, b"second, longer")
    assert path.read_bytes() == b"second, longer"
    write_bytes_atomic(path, b"")
    assert path.read_bytes() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temporary file left behind


def test_mode_follows_the_umask(tmp_path: Path):
    path = tmp_path / "summary.json"
    write_bytes_atomic(path, b"{}")
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o666 & ~umask()  # what open() gives, not mkstemp's 0600
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert mode == stat.S_IMODE(plain.stat().st_mode)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch, failing: str, error: BaseException):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"old")

    def fail(*args: object) -> None:
        raise error

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(type(error)):
        write_bytes_atomic(path, b"new, half written")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_json_allows_nan_and_infinity(tmp_path: Path):
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"kl": math.nan, "w1": math.inf, "modes": 25, "names": ["a"]})
    text = path.read_text()
    assert text.endswith("}\n") and '"kl": NaN' in text and '"w1": Infinity' in text
    read = json.loads(text)
    assert math.isnan(read["kl"]) and read["w1"] == math.inf and read["modes"] == 25 and read["names"] == ["a"]


def test_json_nested_too_deeply_is_a_value_error_and_other_json_parses():
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError):
        parse_json("{format: 1")
    assert parse_json('{"a": [1, 2.5, null, "x"], "b": {"c": true}}') == {"a": [1, 2.5, None, "x"], "b": {"c": True}}
    assert parse_json(b"[[[[0]]]]") == [[[[0]]]]


def test_an_npz_archive_opens_and_a_file_of_another_kind_is_refused_before_numpy_reads_it(tmp_path: Path,
                                                                                          monkeypatch):
    import numpy as np

    np.savez(tmp_path / "good.npz", mean=np.arange(3.0))
    with open_npz(tmp_path / "good.npz") as saved:
        assert saved.files == ["mean"] and saved["mean"].tolist() == [0.0, 1.0, 2.0]
    with (tmp_path / "array.npz").open("wb") as file:
        np.save(file, np.zeros((4, 4)))  # an .npy array renamed .npz
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "truncated.npz").write_bytes((tmp_path / "good.npz").read_bytes()[:100])
    monkeypatch.setattr(np, "load", lambda *args, **kwargs: pytest.fail("numpy read a file that is no archive"))
    for name in ("array", "empty", "truncated"):
        with pytest.raises(ValueError, match=r"^it is not an \.npz archive \("):
            open_npz(tmp_path / f"{name}.npz")
    with pytest.raises(FileNotFoundError):
        open_npz(tmp_path / "missing.npz")


def test_an_array_with_a_zip_directory_after_it_is_refused(tmp_path: Path):
    """numpy tells the format from the first bytes: a crafted .npy with an archive's directory at its end."""
    import io

    import numpy as np

    array, archive = io.BytesIO(), io.BytesIO()
    np.save(array, np.zeros((4, 4)))
    np.savez(archive, mean=np.zeros(3))
    (tmp_path / "crafted.npz").write_bytes(array.getvalue() + archive.getvalue())
    with pytest.raises(ValueError, match=r"^it is not an \.npz archive \(it holds a single ndarray\)$"):
        open_npz(tmp_path / "crafted.npz")
