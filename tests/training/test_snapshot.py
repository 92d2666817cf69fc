"""A run opened for use (evaluate, diagnose) with --set data.root pointing to data of another sample shape than
the run trained on: refused in one line, as a resume is, never measured or probed across sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.hostile import refused
from tests.tiny import DIGITS
from wganlab import cli


def _folder(path: Path, side: int) -> Path:
    path.mkdir()
    rng = np.random.default_rng(side)
    for index in range(24):
        Image.fromarray(rng.integers(0, 256, (side, side), dtype=np.uint8)).save(path / f"{index:02d}.png")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step run on a folder of 8x8 PNGs (and a folder of 9x9 ones beside it)."""
    root = tmp_path_factory.mktemp("snapshot")
    faces = _folder(root / "faces", 8)
    _folder(root / "wide", 9)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WGANLAB_CACHE", str(root / "cache"))
        argv = ["train", *DIGITS, "--set", "data.name=folder", "--set", f"data.root={faces}", "--steps", "4",
                "--set", "eval.every=0", "--set", "eval.extractor=digits-classifier", "--set", "eval.metrics=['fid']",
                "--outdir", str(root / "runs")]
        assert cli.main(argv) == 0
    return next((root / "runs").iterdir())


@pytest.mark.parametrize("command", [["evaluate"], ["diagnose"]])
def test_data_of_another_shape_is_refused_by_the_commands_that_read_a_runs_data(run: Path, command, capsys,
                                                                                 monkeypatch) -> None:
    monkeypatch.setenv("WGANLAB_CACHE", str(run.parent.parent / "cache"))
    wide = run.parent.parent / "wide"
    capsys.readouterr()
    code = cli.main([*command, str(run), "--set", f"data.root={wide}"])
    *decoded, line = capsys.readouterr().err.splitlines()  # (the decoding's own line, then the refusal)
    assert code == 2 and len(decoded) <= 1, (code, decoded, line)
    assert line == (f"wganlab: error: the data at {wide} has samples of shape (1, 9, 9), the run trained on "
                    "(1, 8, 8): point data.root to the run's own data (--set data.root=DIR)")
    assert refused([*command, str(run), "--set", f"data.root={wide}"], capsys) == line  # decoded once: cached
