"""Every kind of choosable part, collected from where it lives: the single source for validation and `list`.

Each table (`Parts`) sits beside its implementations; this module only gathers them. Names are resolved to
entries once, at build time (see `training/build.py`); step code never compares strings.
"""

from __future__ import annotations

from wganlab.data.datasets import DATASETS
from wganlab.data.transforms import FILTERS
from wganlab.metrics.features import AUTO, AUTO_DESCRIPTION, EXTRACTORS
from wganlab.metrics.images import IMAGE_METRICS
from wganlab.models.architectures import ARCHITECTURES
from wganlab.models.mlp import ACTIVATIONS
from wganlab.models.norms import GENERATOR_NORMS, NORMS
from wganlab.objectives.constraints import CONSTRAINTS
from wganlab.objectives.losses import LOSSES
from wganlab.objectives.penalties import PENALTIES
from wganlab.parts import Parts
from wganlab.presets import PRESETS
from wganlab.training.optimizers import LR_DECAYS, OPTIMIZERS

# The tables a config chooses from, by the config key that names one entry (eval.metrics names several).
CHOSEN_BY: dict[str, Parts] = {
    "data.name": DATASETS,
    "data.resize_filter": FILTERS,
    "model.arch": ARCHITECTURES,
    "model.activation": ACTIVATIONS,
    "model.generator_norm": GENERATOR_NORMS,
    "model.critic_norm": NORMS,
    "objective.loss": LOSSES,
    "objective.penalty": PENALTIES,
    "objective.constraint": CONSTRAINTS,
    "optim.name": OPTIMIZERS,
    "optim.lr_decay": LR_DECAYS,
    "eval.metrics": IMAGE_METRICS,
}

# What `wganlab list` shows, kind by kind: name -> one-line description.
KINDS: dict[str, dict[str, str]] = {
    "datasets": DATASETS.descriptions(),
    "resize filters (data.resize_filter)": FILTERS.descriptions(),
    "architectures": ARCHITECTURES.descriptions(),
    "activations": ACTIVATIONS.descriptions(),
    "normalisations (model.generator_norm, model.critic_norm)": NORMS.descriptions(),
    "losses": LOSSES.descriptions(),
    "penalties": PENALTIES.descriptions(),
    "constraints": CONSTRAINTS.descriptions(),
    "optimizers": OPTIMIZERS.descriptions(),
    "learning-rate decays": LR_DECAYS.descriptions(),
    "presets": PRESETS.descriptions(),
    "image metrics": IMAGE_METRICS.descriptions(),
    "feature extractors": {AUTO: AUTO_DESCRIPTION} | EXTRACTORS.descriptions(),
}
