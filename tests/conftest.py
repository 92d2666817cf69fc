"""Shared by every test: a cache folder of the test's own, so no test reads or writes the user's cache; and one
tiny digits run, trained once for the whole session, for the tests that only read a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny import DIGITS


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("wganlab-cache")
    monkeypatch.setenv("WGANLAB_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-step digits image run (tests.tiny.DIGITS, evaluated at its last step), shared by every test that asks:
    read it only; a test that changes a run copies it first (shutil.copytree)."""
    from wganlab import cli

    root = tmp_path_factory.mktemp("digits-run")
    with pytest.MonkeyPatch.context() as patch:  # a session fixture: the autouse cache above does not cover it
        patch.setenv("WGANLAB_CACHE", str(root / "cache"))
        assert cli.main(["train", *DIGITS, "--steps", "2", "--outdir", str(root / "runs")]) == 0
    (run,) = (root / "runs").iterdir()
    return run
