"""Bitwise comparison of nested checkpoint payloads (tensors, dicts, lists), and the final checkpoints of a run
trained whole and of the same run stopped halfway and resumed, shared by the training tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from wganlab import cli
from wganlab.training import checkpoint


def assert_bitwise_equal(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_bitwise_equal(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_bitwise_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def unbroken_and_resumed(folder: Path, arguments: list[str], steps: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The checkpoints at `steps` of `wganlab train ARGUMENTS` run for `steps` steps, and of the same run trained
    for `steps // 2` steps and then resumed to `steps` (under `folder`: whole/ and parts/)."""
    assert cli.main(["train", *arguments, "--steps", str(steps), "--outdir", str(folder / "whole")]) == 0
    assert cli.main(["train", *arguments, "--steps", str(steps // 2), "--outdir", str(folder / "parts")]) == 0
    (parts,) = (folder / "parts").iterdir()
    assert cli.main(["train", "--resume", str(parts), "--steps", str(steps)]) == 0
    name = f"checkpoint-{steps:07d}.pt"
    (whole,) = (folder / "whole").glob(f"*/checkpoints/{name}")
    return checkpoint.read(whole), checkpoint.read(parts / "checkpoints" / name)
