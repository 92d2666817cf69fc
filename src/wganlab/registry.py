"""Every name a config can choose, with a one-line description: the single source for validation and `list`.

Names are resolved to objects once, at build time (see `training/build.py`); step code never compares strings.
"""

from __future__ import annotations

from wganlab.data.images import IMAGE_DATASETS
from wganlab.data.toy import TOY_DATASETS
from wganlab.metrics.features import FEATURE_EXTRACTORS
from wganlab.objectives.constraints import CONSTRAINTS as _CONSTRAINTS
from wganlab.objectives.losses import LOSSES as _LOSSES
from wganlab.objectives.penalties import PENALTIES as _PENALTIES
from wganlab.presets import PRESETS

DATASETS: dict[str, str] = dict(TOY_DATASETS) | dict(IMAGE_DATASETS)
SPLITS: dict[str, str] = {"train": "the training split", "test": "the held-out split"}
ARCHITECTURES: dict[str, str] = {
    "mlp": "fully connected generator and critic (width x depth); images are flattened",
    "dcgan": "DCGAN-style convolutional networks sized from the image shape (width = base channels)",
    "resnet": "the WGAN-GP CIFAR-10 ResNet: pre-activation residual blocks (width = channels, 128 in the paper)",
}
GENERATOR_NORMS: dict[str, str] = {"batch": "BatchNorm (DCGAN)", "none": "no normalisation"}
CRITIC_NORMS: dict[str, str] = {
    "none": "no normalisation (WGAN-GP's choice)",
    "layer": "LayerNorm over (C, H, W) per sample; allowed under a gradient penalty",
    "batch": "BatchNorm; refused under a per-sample gradient penalty",
}
IMAGE_METRICS: dict[str, str] = {
    "fid": "Frechet distance between Gaussians fitted to extractor features (n-1 covariance)",
    "kid": "unbiased MMD^2 with the cubic polynomial kernel, mean over 100 subsets",
    "is": "Inception Score exp(E KL(p(y|x) || p(y))), 10 splits, on the extractor's class probabilities",
    "pr": "precision and recall of k=3 nearest-neighbour manifolds (Kynkaanniemi et al. 2019)",
    "modes": "modes captured and reverse KL by the extractor's classes (per channel for stacked data)",
}
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
    "architectures": ARCHITECTURES,
    "losses": LOSSES,
    "penalties": PENALTIES,
    "constraints": CONSTRAINTS,
    "presets": {name: preset.description for name, preset in PRESETS.items()},
    "activations": ACTIVATIONS,
    "optimizers": OPTIMIZERS,
    "image metrics": IMAGE_METRICS,
    "feature extractors": FEATURE_EXTRACTORS,
}
EXTRACTORS: dict[str, str] = {"auto": "digits-classifier on digits, none elsewhere"} | dict(FEATURE_EXTRACTORS)
