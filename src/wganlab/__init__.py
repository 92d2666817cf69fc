"""wganlab: train, diagnose, evaluate and compare Wasserstein GANs.

The pieces for one's own training loop, loaded when first used (so `import wganlab` stays light):

- losses: `wasserstein_critic_loss`, `wasserstein_generator_loss`, `hinge_critic_loss`, ..., the relativistic
  `rpgan_critic_loss`, `rpgan_generator_loss`, `ragan_critic_loss`, `ragan_generator_loss` (each generator loss
  of these takes the real scores too), and `LOSSES`;
- penalties, each (critic, real, fake, rng) -> scalar: `gradient_penalty` (WGAN-GP), `one_sided_penalty`,
  `r1_penalty`, `r2_penalty`, `r1_r2_penalty` (R3GAN), `zero_centred_penalty`, `max_penalty`, `wgan_div_penalty`,
  `dragan_penalty`, `drift_penalty`, and `PENALTIES`;
- constraints on a critic module: `clip_weights_`, `apply_spectral_norm`, `max_norm_`, and `CONSTRAINTS`;
- metrics with update(x, real=...) / compute(), on images or features, any device: `FID`, `KID`,
  `InceptionScore`, `PrecisionRecall`; `exact_w1` and `mode_coverage` for 2-D samples;
- the critic probe: `probe_critic` (Lipschitz estimates, per-layer gradients, weights at +/-c, held-out gap);
- a trained generator: `load_generator` (a run folder, a checkpoint or a `wganlab export` file) returning a
  `TrainedGenerator` (the module in eval mode, its latent size, sample shape and value range), and `save_grid`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "wganlab.objectives.losses": (
        "LOSSES", "wasserstein_critic_loss", "wasserstein_generator_loss", "minimax_critic_loss",
        "minimax_generator_loss", "non_saturating_generator_loss", "hinge_critic_loss", "hinge_generator_loss",
        "least_squares_critic_loss", "least_squares_generator_loss", "rpgan_critic_loss", "rpgan_generator_loss",
        "ragan_critic_loss", "ragan_generator_loss",
    ),
    "wganlab.objectives.penalties": (
        "PENALTIES", "two_sided_penalty", "one_sided_penalty", "r1_penalty", "r2_penalty", "dragan_penalty",
        "drift_penalty", "gradient_norms", "interpolate", "r1_r2_penalty", "zero_centred_penalty", "max_penalty",
        "wgan_div_penalty",
    ),
    "wganlab.objectives.constraints": ("CONSTRAINTS", "clip_weights_", "apply_spectral_norm", "max_norm_"),
    "wganlab.metrics.streaming": ("FID", "KID", "InceptionScore", "PrecisionRecall"),
    "wganlab.metrics.transport": ("exact_w1",),
    "wganlab.metrics.modes": ("mode_coverage",),
    "wganlab.diagnostics.probe": ("probe_critic",),
    "wganlab.generator": ("load_generator",),
    "wganlab.models.portable": ("TrainedGenerator",),
    "wganlab.training.figures": ("save_grid",),
}
_ALIASES = {"gradient_penalty": ("wganlab.objectives.penalties", "two_sided_penalty")}
_WHERE = {name: (module, name) for module, names in _EXPORTS.items() for name in names} | _ALIASES
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'wganlab' has no attribute {name!r}")
    module, attribute = _WHERE[name]
    return getattr(importlib.import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
