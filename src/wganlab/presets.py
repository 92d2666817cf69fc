"""Named recipes: the published hyperparameters (REFERENCE.md section 3) and the tuned toy default.

A preset is a partial config; the TOML file and --set overrides apply on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wganlab.parts import Parts
from wganlab.presets_conditional import DIGITS_COND, DIGITS_COND_DESCRIPTION
from wganlab.presets_r3gan import R3GAN_DIGITS, R3GAN_DIGITS_DESCRIPTION, R3GAN_TOY, R3GAN_TOY_DESCRIPTION


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, dict[str, Any]]  # {section: {key: value}}, applied over the defaults
    for_images: bool = False  # a recipe for image data (the others are for 2-D data, or only an objective)


# What every published image recipe here shares: no EMA, no critic warm-up (but where its paper's has one),
# a checkpoint and an evaluation (FID-10k) every 5,000 generator steps.
_IMAGE_RUN: dict[str, dict[str, Any]] = {
    "train": {"critic_warmup": False, "ema_decay": 0.0, "checkpoint_every": 5000},
    "eval": {"every": 5000, "image_samples": 10000},
}


def _image_recipe(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A published image recipe's values on top of what the image recipes share."""
    sections = _IMAGE_RUN.keys() | values.keys()
    return {section: {**_IMAGE_RUN.get(section, {}), **values.get(section, {})} for section in sections}


PRESETS: Parts[Preset] = Parts("preset", [
    Preset(
        "grid",
        "the default: WGAN-GP (lambda 0.1) tuned for the 25-mode grid, 4 to 8 minutes on a 2-core CPU",
        {
            "data": {"name": "grid"},
            "model": {"width": 256, "depth": 3, "activation": "relu", "latent_dim": 2},
            "objective": {
                "loss": "wasserstein",
                "penalty": "gp",
                "penalty_weight": 0.1,
                "penalty_target": 1.0,
                "constraint": "none",
            },
            "optim": {
                "name": "adam",
                "lr_generator": 5e-4,
                "lr_critic": 5e-4,
                "betas": [0.5, 0.9],
                "lr_decay": "linear",
                "decay_steps": 15000,
            },
            "train": {
                "steps": 15000,
                "critic_iters": 2,
                "batch_size": 256,
                "critic_warmup": False,
                "ema_decay": 0.0,
                "checkpoint_every": 1000,
            },
            "eval": {"every": 1000},
        },
    ),
    Preset(
        "digits",
        "WGAN-GP (lambda 10, Adam 3e-4 betas (0.5, 0.9) decaying to 0, n_critic 2, generator EMA) with small "
        "DCGAN networks on stacked digits: three random scikit-learn digits as RGB channels, 1,000 modes; "
        "about 12 minutes on a 2-core CPU",
        {
            "data": {"name": "digits", "stack": 3},
            "model": {"arch": "dcgan", "width": 32, "latent_dim": 64, "generator_norm": "batch", "critic_norm": "none"},
            "objective": {
                "loss": "wasserstein",
                "penalty": "gp",
                "penalty_weight": 10.0,
                "penalty_target": 1.0,
                "constraint": "none",
            },
            "optim": {
                "name": "adam",
                "lr_generator": 3e-4,
                "lr_critic": 3e-4,
                "betas": [0.5, 0.9],
                "lr_decay": "linear",
                "decay_steps": 25000,
            },
            "train": {
                "steps": 25000,
                "critic_iters": 2,
                "batch_size": 64,
                "critic_warmup": False,
                "ema_decay": 0.999,
                "checkpoint_every": 5000,
            },
            "eval": {"every": 5000, "image_samples": 10000},
        },
        for_images=True,
    ),
    Preset(
        "wgan-paper",
        "WGAN paper: clip all critic parameters to [-0.01, 0.01], RMSProp 5e-5, n_critic 5 with the "
        "100-iteration warm-up, batch 64, 4x512 MLP",
        {
            "model": {"width": 512, "depth": 4},
            "objective": {"loss": "wasserstein", "penalty": "none", "constraint": "clip", "clip_value": 0.01},
            "optim": {"name": "rmsprop", "lr_generator": 5e-5, "lr_critic": 5e-5, "lr_decay": "none"},
            "train": {"critic_iters": 5, "critic_warmup": True, "batch_size": 64, "ema_decay": 0.0},
        },
    ),
    Preset(
        "wgan-toy",
        "WGAN toy code: clip 0.01, RMSProp 5e-5, n_critic 5, batch 256, 3x512 ReLU MLPs, latent 2",
        {
            "model": {"width": 512, "depth": 3, "activation": "relu", "latent_dim": 2},
            "objective": {"loss": "wasserstein", "penalty": "none", "constraint": "clip", "clip_value": 0.01},
            "optim": {"name": "rmsprop", "lr_generator": 5e-5, "lr_critic": 5e-5, "lr_decay": "none"},
            "train": {"critic_iters": 5, "critic_warmup": False, "batch_size": 256, "ema_decay": 0.0},
        },
    ),
    Preset(
        "wgan-gp-paper",
        "WGAN-GP paper, Algorithm 1: lambda 10, Adam 1e-4 betas (0, 0.9), n_critic 5, batch 64",
        {
            "objective": {
                "loss": "wasserstein",
                "penalty": "gp",
                "penalty_weight": 10.0,
                "penalty_target": 1.0,
                "constraint": "none",
            },
            "optim": {
                "name": "adam",
                "lr_generator": 1e-4,
                "lr_critic": 1e-4,
                "betas": [0.0, 0.9],
                "lr_decay": "none",
            },
            "train": {"critic_iters": 5, "critic_warmup": False, "batch_size": 64, "ema_decay": 0.0},
        },
    ),
    Preset(
        "wgan-gp-toy",
        "WGAN-GP toy code on 25gaussians: lambda 0.1, Adam 1e-4 betas (0.5, 0.9), n_critic 5, batch 256, "
        "3x512 ReLU MLPs, latent 2",
        {
            "data": {"name": "25gaussians"},
            "model": {"width": 512, "depth": 3, "activation": "relu", "latent_dim": 2},
            "objective": {
                "loss": "wasserstein",
                "penalty": "gp",
                "penalty_weight": 0.1,
                "penalty_target": 1.0,
                "constraint": "none",
            },
            "optim": {
                "name": "adam",
                "lr_generator": 1e-4,
                "lr_critic": 1e-4,
                "betas": [0.5, 0.9],
                "lr_decay": "none",
            },
            "train": {"critic_iters": 5, "critic_warmup": False, "batch_size": 256, "ema_decay": 0.0},
        },
    ),
    Preset(
        "gan-ns",
        "baseline GAN (DCGAN recipe): non-saturating loss, no Lipschitz method, Adam 2e-4 beta1 0.5, "
        "n_critic 1, batch 64",
        {
            "objective": {"loss": "non-saturating", "penalty": "none", "constraint": "none"},
            "optim": {
                "name": "adam",
                "lr_generator": 2e-4,
                "lr_critic": 2e-4,
                "betas": [0.5, 0.999],
                "lr_decay": "none",
            },
            "train": {"critic_iters": 1, "critic_warmup": False, "batch_size": 64, "ema_decay": 0.0},
        },
    ),
    Preset(
        "r1",
        "Mescheder et al. 2018: non-saturating + R1 with gamma 10 (weight gamma/2 = 5), RMSProp 1e-4, "
        "n_critic 1, batch 64, generator EMA 0.999",
        {
            "objective": {
                "loss": "non-saturating",
                "penalty": "r1",
                "penalty_weight": 5.0,
                "constraint": "none",
            },
            "optim": {"name": "rmsprop", "lr_generator": 1e-4, "lr_critic": 1e-4, "lr_decay": "none"},
            "train": {"critic_iters": 1, "critic_warmup": False, "batch_size": 64, "ema_decay": 0.999},
        },
    ),
    Preset(
        "sngan",
        "Miyato et al. 2018: hinge loss + spectral norm, Adam 2e-4 betas (0, 0.9), n_critic 5, batch 64",
        {
            "objective": {"loss": "hinge", "penalty": "none", "constraint": "spectral-norm"},
            "optim": {
                "name": "adam",
                "lr_generator": 2e-4,
                "lr_critic": 2e-4,
                "betas": [0.0, 0.9],
                "lr_decay": "none",
            },
            "train": {"critic_iters": 5, "critic_warmup": False, "batch_size": 64, "ema_decay": 0.0},
        },
    ),
    Preset(
        "wgan-gp-mnist",
        "the WGAN-GP MNIST code (gan_mnist.py): its 5x5 conv networks (DIM 64, latent 128, no normalisation), "
        "lambda 10, Adam 1e-4 betas (0.5, 0.9), n_critic 5, batch 50, 200,000 generator steps",
        _image_recipe({
            "data": {"name": "mnist"},
            "model": {"arch": "mnist-conv", "width": 64, "latent_dim": 128, "generator_norm": "none",
                      "critic_norm": "none"},
            "objective": {"loss": "wasserstein", "penalty": "gp", "penalty_weight": 10.0, "penalty_target": 1.0,
                          "constraint": "none"},
            "optim": {"name": "adam", "lr_generator": 1e-4, "lr_critic": 1e-4, "betas": [0.5, 0.9],
                      "lr_decay": "none"},
            "train": {"steps": 200000, "batch_size": 50, "critic_iters": 5},
        }),
        for_images=True,
    ),
    Preset(
        "wgan-gp-cifar",
        "the WGAN-GP CIFAR-10 ResNet code (gan_cifar_resnet.py, unconditional): 128 channels, BatchNorm in the "
        "generator only, latent 128, lambda 10, Adam 2e-4 betas (0, 0.9) decaying linearly to 0 over 100,000 "
        "generator steps, n_critic 5, critic batch 64, generator batch 128",
        _image_recipe({
            "data": {"name": "cifar10"},
            "model": {"arch": "resnet", "width": 128, "latent_dim": 128, "generator_norm": "batch",
                      "critic_norm": "none"},
            "objective": {"loss": "wasserstein", "penalty": "gp", "penalty_weight": 10.0, "penalty_target": 1.0,
                          "constraint": "none"},
            "optim": {"name": "adam", "lr_generator": 2e-4, "lr_critic": 2e-4, "betas": [0.0, 0.9],
                      "lr_decay": "linear", "decay_steps": 100000},
            "train": {"steps": 100000, "batch_size": 64, "generator_batch_size": 128, "critic_iters": 5},
        }),
        for_images=True,
    ),
    Preset(
        "sngan-cifar",
        "the spectral-normalisation paper's standard CNN on CIFAR-10: spectral norm, hinge loss, latent 128, "
        "Adam 2e-4 betas (0.5, 0.999), n_critic 1 (its setting C, the official SN-DCGAN example), batch 64, "
        "100,000 generator steps",
        _image_recipe({
            "data": {"name": "cifar10"},
            "model": {"arch": "sngan-cnn", "width": 64, "latent_dim": 128, "generator_norm": "batch",
                      "critic_norm": "none"},
            "objective": {"loss": "hinge", "penalty": "none", "constraint": "spectral-norm"},
            "optim": {"name": "adam", "lr_generator": 2e-4, "lr_critic": 2e-4, "betas": [0.5, 0.999],
                      "lr_decay": "none"},
            "train": {"steps": 100000, "batch_size": 64, "critic_iters": 1},
        }),
        for_images=True,
    ),
    Preset(
        "dcgan",
        "DCGAN (Radford et al. 2016): its networks (BatchNorm in both, width 64, latent 100), the non-saturating "
        "GAN loss, Adam 2e-4 betas (0.5, 0.999), n_critic 1, batch 64, 100,000 generator steps",
        _image_recipe({
            "data": {"name": "cifar10"},
            "model": {"arch": "dcgan-paper", "width": 64, "latent_dim": 100, "generator_norm": "batch",
                      "critic_norm": "batch"},
            "objective": {"loss": "non-saturating", "penalty": "none", "constraint": "none"},
            "optim": {"name": "adam", "lr_generator": 2e-4, "lr_critic": 2e-4, "betas": [0.5, 0.999],
                      "lr_decay": "none"},
            "train": {"steps": 100000, "batch_size": 64, "critic_iters": 1},
        }),
        for_images=True,
    ),
    Preset(
        "wgan-dcgan",
        "the WGAN paper's image recipe: its DCGAN (BatchNorm in both, width 64, latent 100), weight clipping at "
        "0.01, RMSProp 5e-5, n_critic 5 with 100 for the first 25 generator steps and every 500th, batch 64, "
        "100,000 generator steps",
        _image_recipe({
            "data": {"name": "cifar10"},
            "model": {"arch": "dcgan-paper", "width": 64, "latent_dim": 100, "generator_norm": "batch",
                      "critic_norm": "batch"},
            "objective": {"loss": "wasserstein", "penalty": "none", "constraint": "clip", "clip_value": 0.01},
            "optim": {"name": "rmsprop", "lr_generator": 5e-5, "lr_critic": 5e-5, "lr_decay": "none"},
            "train": {"steps": 100000, "batch_size": 64, "critic_iters": 5, "critic_warmup": True},
        }),
        for_images=True,
    ),
    Preset("r3gan-toy", R3GAN_TOY_DESCRIPTION, R3GAN_TOY),
    Preset("r3gan-digits", R3GAN_DIGITS_DESCRIPTION, R3GAN_DIGITS, for_images=True),
    Preset("digits-cond", DIGITS_COND_DESCRIPTION, DIGITS_COND, for_images=True),
])
