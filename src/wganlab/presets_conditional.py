"""The class-conditional recipe `digits-cond`: the `digits` preset's WGAN-GP and DCGAN networks on the scikit-learn
digits one per image (10 classes, 8x8, unstacked), with conditional BatchNorm in the generator and a projection
critic (model.conditioning = "projection"; "acgan" swaps the head for an auxiliary classifier).

What it is measured by: `classifier_accuracy`, the shipped digits classifier's class of each generated image
against the class it was made for (balanced: image i for class i mod 10), per class and their mean, beside FID
and the class modes on the same classifier's features.
"""

from __future__ import annotations

from typing import Any

DIGITS_COND_DESCRIPTION = (
    "class-conditional WGAN-GP on the scikit-learn digits (10 classes, unstacked): the digits preset's DCGAN "
    "networks with conditional BatchNorm in G and a projection critic (--set model.conditioning=acgan for an "
    "auxiliary classifier), measured by the digits classifier's accuracy on the requested classes"
)
DIGITS_COND: dict[str, dict[str, Any]] = {
    "data": {"name": "digits", "stack": 1},
    "model": {"arch": "dcgan", "width": 32, "latent_dim": 64, "generator_norm": "batch", "critic_norm": "none",
              "conditioning": "projection"},
    "objective": {"loss": "wasserstein", "penalty": "gp", "penalty_weight": 10.0, "penalty_target": 1.0,
                  "constraint": "none"},
    "optim": {"name": "adam", "lr_generator": 3e-4, "lr_critic": 3e-4, "betas": [0.5, 0.9], "lr_decay": "linear",
              "decay_steps": 10000},
    "train": {"steps": 10000, "critic_iters": 2, "batch_size": 64, "critic_warmup": False, "ema_decay": 0.999,
              "checkpoint_every": 2500, "label_sampling": "uniform"},
    "eval": {"every": 2500, "image_samples": 10000, "metrics": ["fid", "modes", "accuracy"]},
}
