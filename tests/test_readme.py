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
