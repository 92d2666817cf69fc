"""Every name a config can choose, with a one-line description: the single source for validation and `list`.

Names are resolved to objects once, at build time (see `training/build.py`); step code never compares strings.
"""

from __future__ import annotations

from wganlab.data.toy import TOY_DATASETS
from wganlab.objectives.constraints import CONSTRAINTS as _CONSTRAINTS
from wganlab.objectives.losses import LOSSES as _LOSSES
from wganlab.objectives.penalties import PENALTIES as _PENALTIES
from wganlab.presets import PRESETS

DATASETS: dict[str, str] = dict(TOY_DATASETS)
ARCHITECTURES: dict[str, str] = {"mlp": "fully connected generator and critic (width x depth)"}
ACTIVATIONS: dict[str, str] = {
    "relu": "max(0, x)",
    "leaky-relu": "max(0.2 x, x)",
    "elu": "exponential linear unit",
    "tanh": "hyperbolic tangent",
    "gelu": "Gaussian error linear unit",
}
LOSSES: dict[str, str] = {name: loss.description for name, loss in _LOSSES.items()}
PENALTIES: dict[str, str] = {"none": "no penalty"} | {
    name: description for name, (_, description) in _PENALTIES.items()
}
CONSTRAINTS: dict[str, str] = dict(_CONSTRAINTS)
OPTIMIZERS: dict[str, str] = {
    "adam": "Adam with optim.betas",
    "rmsprop": "RMSProp (the WGAN paper's choice)",
}
LR_DECAYS: dict[str, str] = {
    "none": "constant learning rates",
    "linear": "learning rates fall linearly to 0 over train.steps (WGAN-GP CIFAR code)",
}

KINDS: dict[str, dict[str, str]] = {
    "datasets": DATASETS,
    "losses": LOSSES,
    "penalties": PENALTIES,
    "constraints": CONSTRAINTS,
    "presets": {name: preset.description for name, preset in PRESETS.items()},
    "activations": ACTIVATIONS,
    "optimizers": OPTIMIZERS,
}
