"""R3GAN's recipe (Huang et al., NeurIPS 2024, "The GAN is dead; long live the GAN!") on our networks: the presets
`r3gan-toy` (the 25-mode grid) and `r3gan-digits` (stacked digits), and the overrides that put its objective on
any image preset.

What carries over, from its paper and its CIFAR-10 configuration (REFERENCE.md section 6):
- the loss: RpGAN, softplus(-(D(real_i) - D(fake_i))) for the critic and the same with real and fake exchanged for
  the generator, real row i paired with fake row i of the same update (objective.loss = "rpgan");
- R1 and R2 at every step with weight gamma/2 (objective.penalty = "r1+r2"), gamma decaying on a half cosine to a
  tenth of itself (0.05 -> 0.005 there: objective.penalty_decay = "cosine", penalty_final = 0.1);
- one critic step per generator step; Adam with beta1 = 0; the learning rates on a half cosine from their start to a
  quarter of it (2e-4 -> 5e-5 there: optim.lr_decay = "cosine", lr_final = 0.25);
- its schedules are scaled to our step counts: they end at train.steps, where R3GAN's end after 2e7 images.

What does not carry over, and what stands in for it:
- its networks (a modernised ResNet: grouped convolutions, inverted bottlenecks, no normalisation, fix-up
  initialisation) are not built here: the toy keeps the grid default's MLPs, the digits the small DCGAN of the
  `digits` preset (with BatchNorm in the generator);
- beta2 warms up from 0.9 to 0.99 in R3GAN; here it is 0.99 from the start (Adam's betas are constants here);
- its generator EMA ramps up with training; here it is a constant decay (0.999 on digits, off on the toy, as the
  grid default);
- its augmentation (probability 0 -> 0.55 over training) has no counterpart until wganlab has augmentation;
- its batch (512 over 8 GPUs) and its class conditioning (CIFAR-10 --cond=1): our batches are the presets' own, and
  every run here is unconditional;
- gamma is R3GAN's on images (0.05 for CIFAR-10) on the digits; on the toy's 2-D points (modes of sigma 0.05) it
  was chosen from a sweep of weights gamma/2 in {0.03, 0.1, 0.3} at the preset's 15,000 steps (docs/benchmarks.md
  "R3GAN on the grid"): 0.3, the highest HQ share.

The R3GAN objective on any image preset: `--set` each of R3GAN_OBJECTIVE (README "R3GAN on your own preset").
"""

from __future__ import annotations

from typing import Any

# The objective and optimiser of R3GAN, to lay over a preset: its loss, R1 + R2 (weight gamma/2 = 0.025, gamma
# 0.05 as on CIFAR-10) decaying to a tenth, one critic step, Adam (0, 0.99) at 2e-4 decaying to a quarter.
R3GAN_OBJECTIVE: dict[str, dict[str, Any]] = {
    "objective": {"loss": "rpgan", "penalty": "r1+r2", "penalty_weight": 0.025, "penalty_decay": "cosine",
                  "penalty_final": 0.1, "constraint": "none"},
    "optim": {"name": "adam", "lr_generator": 2e-4, "lr_critic": 2e-4, "betas": [0.0, 0.99], "lr_decay": "cosine",
              "lr_final": 0.25},
    "train": {"critic_iters": 1, "generator_batch_size": 0, "critic_warmup": False},
}


def _with(base: dict[str, dict[str, Any]], **sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`base` with each given section's keys laid over its own."""
    return {name: {**base.get(name, {}), **sections.get(name, {})} for name in base.keys() | sections.keys()}


R3GAN_TOY_DESCRIPTION = (
    "R3GAN (Huang et al. 2024) on the 25-mode grid: RpGAN + R1 + R2 (weight gamma/2 = 0.3 decaying to a tenth), "
    "Adam 2e-4 betas (0, 0.99) decaying to a quarter on a half cosine, n_critic 1, the default's MLPs; what does "
    "not carry over: presets_r3gan.py"
)
R3GAN_TOY: dict[str, dict[str, Any]] = _with(
    R3GAN_OBJECTIVE,
    data={"name": "grid"},
    model={"width": 256, "depth": 3, "activation": "relu", "latent_dim": 2},
    objective={"penalty_weight": 0.3},
    optim={"decay_steps": 15000},
    train={"steps": 15000, "batch_size": 256, "critic_warmup": False, "ema_decay": 0.0, "checkpoint_every": 1000},
    eval={"every": 1000},
)

R3GAN_DIGITS_DESCRIPTION = (
    "R3GAN on stacked digits: RpGAN + R1 + R2 (gamma 0.05 decaying to 0.005, as on CIFAR-10), Adam 2e-4 betas "
    "(0, 0.99) decaying to 5e-5, n_critic 1, the digits preset's DCGAN and EMA; what does not carry over: "
    "presets_r3gan.py"
)
R3GAN_DIGITS: dict[str, dict[str, Any]] = _with(
    R3GAN_OBJECTIVE,
    data={"name": "digits", "stack": 3},
    model={"arch": "dcgan", "width": 32, "latent_dim": 64, "generator_norm": "batch", "critic_norm": "none"},
    optim={"decay_steps": 25000},
    train={"steps": 25000, "batch_size": 64, "critic_warmup": False, "ema_decay": 0.999, "checkpoint_every": 5000},
    eval={"every": 5000, "image_samples": 10000},
)
