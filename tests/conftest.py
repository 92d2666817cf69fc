"""Shared by every test: a cache folder of the test's own, so no test reads or writes the user's cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("wganlab-cache")
    monkeypatch.setenv("WGANLAB_CACHE", str(folder))
    return folder
