"""Mixed precision, chosen once from train.precision. Under "bf16" or "fp16" the networks' forward passes run
under autocast (bfloat16 or float16, on the CPU or a GPU), while scores, losses, the penalties' gradient norms,
gradients, optimiser states and checkpoints stay float32.

bfloat16 keeps float32's exponent range, so it needs no loss scaling. float16 does: its gradients underflow
below 6e-8 and overflow above 65504, so each network's update goes through a torch.amp.GradScaler (one for the
critic, one for the generator, both checkpointed), and a gradient penalty scales the scores before its
`autograd.grad` and unscales the input gradients in float32 (penalties.scaled_input_gradients), as PyTorch's
AMP examples do for a gradient penalty. A step whose scaled gradients overflow is skipped by the scaler, which
then halves its scale: the non-finite guard counts those as the scaler's, not as a broken run, until the scale
falls below MIN_SCALE.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch

from wganlab.config import TrainConfig
from wganlab.machine import cpu_has_bfloat16_units

Autocast = Callable[[], AbstractContextManager[Any]]

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
MIN_SCALE = 2.0**-16  # an fp16 loss scale below this means the losses are not finite even unscaled


def autocast_for(config: TrainConfig) -> Autocast:
    """A factory of the context the forward passes run in: autocast to bfloat16 or float16, or nothing for fp32."""
    if config.precision == "fp32":
        return contextlib.nullcontext
    device_type = torch.device(config.device).type
    return functools.partial(torch.autocast, device_type=device_type, dtype=DTYPES[config.precision])


def make_scaler(config: TrainConfig) -> torch.amp.GradScaler:
    """A gradient scaler for one network's updates: active under fp16, else one that passes everything through
    (its `step` is the optimiser's own)."""
    return torch.amp.GradScaler(torch.device(config.device).type, enabled=config.precision == "fp16")


def precision_notes(config: TrainConfig) -> list[str]:
    """One line at start where the precision asked for is slow on this machine: bf16 on a CPU without bfloat16
    units, where it runs emulated."""
    if config.precision == "bf16" and torch.device(config.device).type == "cpu" and cpu_has_bfloat16_units() is False:
        return ['train.precision: "bf16" on a CPU without bfloat16 units (neither avx512_bf16 nor AMX) is emulated, '
                "about 30x slower than fp32 (measured on an AMD EPYC): fp32 is faster on this machine"]
    return []
