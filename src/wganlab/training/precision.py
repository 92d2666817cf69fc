"""Mixed precision, chosen once from train.precision: under "bf16" the networks' forward passes run under
bfloat16 autocast (on the CPU or a GPU), while scores, losses, the penalties' gradient norms, gradients,
optimiser states and checkpoints stay float32. bfloat16 keeps float32's exponent range, so no loss scaling
is needed, which is also why "fp16" (whose penalties need a scaler around their double backward) is not
offered yet.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch

from wganlab.config import TrainConfig

Autocast = Callable[[], AbstractContextManager[Any]]


def autocast_for(config: TrainConfig) -> Autocast:
    """A factory of the context the forward passes run in: autocast to bfloat16, or nothing for fp32."""
    if config.precision == "fp32":
        return contextlib.nullcontext
    return functools.partial(torch.autocast, device_type=torch.device(config.device).type, dtype=torch.bfloat16)
