"""The claims of REFERENCE.md section 5, by number: each an experiment module with `CLAIM` and `run(context)`.

Modules are imported when a claim is asked for, so `--only 12` does not import the other twelve.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from wganlab.claims.result import Claim

CLAIMS: dict[int, str] = {
    1: "claim01_simple_critics",
    2: "claim02_gradient_depth",
    3: "claim03_weight_piling",
    4: "claim04_clip_sensitivity",
    5: "claim05_naive_constraints",
    6: "claim06_unit_gradient",
    7: "claim07_continuity",
    8: "claim08_loss_tracks_quality",
    9: "claim09_overfitting_gap",
    10: "claim10_speed",
    11: "claim11_mode_collapse",
    12: "claim12_dirac_gan",
    13: "claim13_robustness",
    14: "claim14_when_to_stop",
    15: "claim15_r3gan",
}


def experiment(number: int) -> ModuleType:
    """The module of claim `number`: its `CLAIM` (what it says) and `run(context) -> ClaimResult`."""
    module = importlib.import_module(f"wganlab.claims.{CLAIMS[number]}")
    assert isinstance(module.CLAIM, Claim) and module.CLAIM.number == number, CLAIMS[number]
    return module
