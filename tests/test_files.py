"""Files written whole or not at all: the old file survives a failed write and no temporary file is left."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import pytest

from wganlab.files import write_bytes_atomic, write_json_atomic


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
