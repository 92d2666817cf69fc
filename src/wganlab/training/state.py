"""Everything a training run holds between steps, in one dataclass; behaviour lives in functions."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class TrainState:
    generator: nn.Module
    critic: nn.Module
    generator_ema: nn.Module | None  # exponential moving average of the generator's weights, if enabled
    generator_optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    generator_scheduler: torch.optim.lr_scheduler.LRScheduler
    critic_scheduler: torch.optim.lr_scheduler.LRScheduler
    rng: torch.Generator  # latents, interpolation weights, instance noise
    data_rng: torch.Generator  # real batches
    step: int = 0  # generator steps done
    train_seconds: float = 0.0  # wall time spent in training steps over the whole run, across resumes
    lr_scale: float = 1.0  # the learning rates' factor after non-finite rollbacks (train.on_nonfinite)
    rollbacks: int = 0  # rollbacks so far
    # float16 loss scaling (train.precision = "fp16"); disabled scalers pass everything through
    critic_scaler: torch.amp.GradScaler = field(default_factory=lambda: torch.amp.GradScaler(enabled=False))
    generator_scaler: torch.amp.GradScaler = field(default_factory=lambda: torch.amp.GradScaler(enabled=False))

    @property
    def sampler(self) -> nn.Module:
        """The generator to evaluate: the EMA copy when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator
