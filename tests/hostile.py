"""What the hostile-input tests share: a pickle that acts if it is ever unpickled, and a command that must end in
exactly one line on stderr with exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wganlab import cli


class ActsIfUnpickled:
    """A pickle that, if unpickled by a trusting loader, makes a folder at `path`: its absence proves it never ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command; it must end with exit code 2 and exactly one line on stderr, which is returned."""
    capsys.readouterr()
    code = cli.main(argv)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("wganlab: error: "), (code, err)
    return lines[0]
