"""Shared by the training tests: a feature cache of the test's own, and configs from typed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from wganlab import config as configuration
from wganlab.config import Config


@pytest.fixture
def feature_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$WGANLAB_CACHE pointed at a fresh folder, so no test reads or writes the user's cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("WGANLAB_CACHE", str(folder))
    return folder


def config_with(**values: object) -> Config:
    """The default config with {"section.key": value} values, checked."""
    return configuration.with_values(Config(), values)
