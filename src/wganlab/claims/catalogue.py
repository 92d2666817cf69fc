"""The claims of REFERENCE.md section 5, by number: each an experiment module with `run(context) -> ClaimResult`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from wganlab.claims.context import ClaimContext
from wganlab.claims.result import ClaimResult

CLAIMS: dict[int, tuple[str, str]] = {
    1: ("claim01_simple_critics", "weight clipping biases the critic towards over-simple functions"),
    2: ("claim02_gradient_depth", "weight clipping makes gradients explode or vanish with depth; GP keeps them level"),
    3: ("claim03_weight_piling", "weight clipping piles the weights at +/-c; under GP they spread"),
    4: ("claim04_clip_sensitivity", "WGAN is sensitive to the clip value c"),
    5: ("claim05_naive_constraints", "clipping the optimiser's gradient norm is not a Lipschitz constraint; MaxNorm"),
    6: ("claim06_unit_gradient", "the optimal critic has unit gradient norm between real and fake"),
    7: ("claim07_continuity", "W1 is continuous on parallel lines where JS, KL and TV jump"),
    8: ("claim08_loss_tracks_quality", "the WGAN critic's estimate tracks sample quality; a GAN's JS estimate not"),
    9: ("claim09_overfitting_gap", "the train vs held-out critic gap grows when the critic overfits"),
    10: ("claim10_speed", "WGAN is not always faster than a GAN to a quality threshold"),
    11: ("claim11_mode_collapse", "a GAN collapses modes on the grid more than WGAN-GP"),
    12: ("claim12_dirac_gan", "Dirac-GAN: which methods converge to the equilibrium"),
    13: ("claim13_robustness", "WGAN-GP succeeds on more random architectures than a GAN"),
}


def experiment(number: int) -> Callable[[ClaimContext], ClaimResult]:
    module_name, _ = CLAIMS[number]
    module = importlib.import_module(f"wganlab.claims.{module_name}")
    return module.run
