"""The README's code runs as written: the own-training-loop example with a wganlab penalty, FID and the probe."""

from __future__ import annotations

import math
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_block(heading: str) -> str:
    """The first ```python block under `heading`."""
    section = README.read_text().split(f"## {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_own_training_loop_example_runs_and_measures(capsys):
    exec(compile(python_block("In your own training loop"), "README.md", "exec"), {})
    line = capsys.readouterr().out.strip()
    found = re.fullmatch(r"FID ([\d.]+), critic Lipschitz >= ([\d.]+)", line)
    assert found, line
    fid, lipschitz = float(found.group(1)), float(found.group(2))
    assert math.isfinite(fid) and fid >= 0
    assert 0 < lipschitz < 5  # the gradient penalty kept the critic near 1-Lipschitz on interpolates


def test_trained_generator_example_saves_a_grid(digits_run, tmp_path, monkeypatch, capsys):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    block = python_block("Your trained generator")
    assert len([line for line in block.splitlines() if line.strip()]) == 5 and "runs/00000-dcgan-folder" in block
    capsys.readouterr()
    exec(compile(block.replace("runs/00000-dcgan-folder", str(digits_run)), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "8 (1, 8, 8) (-1.0, 1.0)"
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.format == "PNG" and grid.mode == "L" and grid.size == (8 * 34 + 2,) * 2  # 8 x 8 cells of 32 + 2
