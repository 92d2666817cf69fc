"""matplotlib is used headless: the Agg backend, whatever the environment asked for."""

from __future__ import annotations

import subprocess
import sys


def test_pyplot_draws_with_agg_even_when_another_backend_is_asked_for():
    code = "from wganlab.plotting import pyplot; print(pyplot.get_backend())"
    env = {"MPLBACKEND": "TkAgg", "PATH": ""}
    backend = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert backend.strip().lower() == "agg"
