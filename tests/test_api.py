"""`import wganlab`: the pieces for one's own loop, each loaded when first used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import wganlab


def test_every_exported_name_resolves():
    for name in wganlab.__all__:
        assert getattr(wganlab, name) is not None, name
    assert wganlab.gradient_penalty is wganlab.two_sided_penalty
    assert {"FID", "KID", "probe_critic", "PENALTIES", "clip_weights_"} <= set(dir(wganlab))


def test_importing_wganlab_loads_nothing_else_until_used():
    code = "import sys, wganlab; print(sorted(m for m in sys.modules if m.startswith('wganlab')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "['wganlab']"


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'gradient_penalties'"):
        wganlab.gradient_penalties  # noqa: B018
