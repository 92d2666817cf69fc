"""`wganlab sample`: a run's generated images to PNGs or .npz, which `wganlab evaluate` measures as the run did."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.tiny import TINY
from wganlab import cli
from wganlab import sample as sample_module
from wganlab.errors import UserError
from wganlab.runlogs import read_run

METRICS = "fid,kid,pr,is,modes"


def evaluated(target: Path, capsys) -> dict[str, str]:
    """The metrics `wganlab evaluate` prints, as printed (six significant digits)."""
    capsys.readouterr()
    assert cli.main(["evaluate", str(target), "--data", "digits", "--metrics", METRICS]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]  # the title and the headline, then "  key = value"
    return {key.strip(): value for key, value in (line.split(" = ") for line in lines)}


@pytest.mark.parametrize("out", ["images", "images.npz"])
def test_evaluating_the_export_gives_the_runs_own_numbers(digits_run, tmp_path, capsys, out):
    grid = tmp_path / "grid.png"
    assert cli.main(["sample", str(digits_run), "--out", str(tmp_path / out), "--grid", str(grid)]) == 0
    assert "wrote 120 images" in capsys.readouterr().out and grid.read_bytes()[:4] == b"\x89PNG"
    logged = {k: v for k, v in read_run(digits_run).metrics[-1].items() if k not in ("step", "protocol")}
    measured = evaluated(tmp_path / out, capsys)
    assert measured == {key: f"{value:.6g}" for key, value in logged.items()}  # to the printed digit


def test_the_folder_and_the_file_hold_the_same_8_bit_images(digits_run, tmp_path):
    assert cli.main(["sample", str(digits_run), "--count", "5", "--seed", "3", "--out", str(tmp_path / "pngs")]) == 0
    assert cli.main(["sample", str(digits_run), "--count", "5", "--seed", "3", "--out", str(tmp_path / "a.npz")]) == 0
    with np.load(tmp_path / "a.npz") as saved:
        array = saved["images"]
    assert array.dtype == np.uint8 and array.shape == (5, 8, 8, 1)
    names = sorted(p.name for p in (tmp_path / "pngs").iterdir())
    assert names == [f"{i:06d}.png" for i in range(5)]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "pngs" / names[2])), array[2, :, :, 0])


def test_raw_takes_the_trained_generator_rather_than_its_ema(digits_run, tmp_path):
    for name, extra in (("ema.npz", []), ("raw.npz", ["--raw"])):
        assert cli.main(["sample", str(digits_run), "--count", "8", "--out", str(tmp_path / name), *extra]) == 0
    with np.load(tmp_path / "ema.npz") as ema, np.load(tmp_path / "raw.npz") as raw:
        assert not np.array_equal(ema["images"], raw["images"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "nothing to write"),
        (["--out", "{tmp}/missing/x.npz"], "does not exist"),
        (["--out", "{tmp}/full"], "is not an empty folder"),
        (["--count", "0", "--out", "{tmp}/x.npz"], "--count: 0 is not in [1, 100,000,000]"),
        (["--count", "100000000000", "--out", "{tmp}/x.npz"], "--count: 100000000000 is not in [1, 100,000,000]"),
    ],
)
def test_mistakes_are_one_line_and_write_nothing(digits_run, tmp_path, capsys, arguments, message):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    arguments = [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    assert cli.main(["sample", str(digits_run), *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_a_count_beyond_memory_is_one_line_and_writes_nothing(digits_run, tmp_path, monkeypatch):
    monkeypatch.setattr(sample_module, "available_memory", lambda: 2**20)  # a machine with 1 MiB free
    with pytest.raises(UserError, match="of memory available"):
        sample_module.sample(digits_run, sample_module.Request(count=100_000, out=tmp_path / "x.npz"))
    assert not (tmp_path / "x.npz").exists()


def test_a_2d_run_has_no_images_to_write(tmp_path, capsys):
    assert cli.main(["train", "--steps", "2", *TINY, "--set", "eval.every=0", "--outdir", str(tmp_path / "r")]) == 0
    assert cli.main(["sample", str(next((tmp_path / "r").iterdir())), "--out", str(tmp_path / "x.npz")]) == 2
    assert "2-D points, not images" in capsys.readouterr().err
