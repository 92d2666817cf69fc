"""train.compile: the networks' forward passes compiled with torch.compile (TorchInductor), where that is sound.

The compiled networks (torch.compile's wrappers, sharing the modules' parameters) are used by the training
updates alone: the modules themselves, their state_dict keys and checkpoints, the EMA copy, evaluation and the
diagnostics (which take input gradients of the critic) stay eager. A gradient penalty differentiates the
critic's input gradient (a double backward), which torch.compile's AOTAutograd does not support; under such a
penalty the critic's updates stay eager too, and the run says so in one line. Compiled runs are not bitwise
equal to eager ones (the compiler fuses and reorders float operations); their first steps are slow while it
compiles.
"""

from __future__ import annotations

import torch
from torch import nn

from wganlab.objectives.penalties import PENALTIES
from wganlab.training.precision import Autocast
from wganlab.training.steps import Execution, GradientSync


def execution_for(
    generator: nn.Module, critic: nn.Module, penalty: str, compile: bool, autocast: Autocast, sync: GradientSync
) -> tuple[Execution, list[str]]:
    """How the updates run, with the generator compiled (`compile`), and the critic too unless `penalty` needs a
    double backward; and the notes to show the user (one line for a network left eager)."""
    if not compile:
        return Execution(autocast, sync), []
    compiled_generator = torch.compile(generator)
    if PENALTIES[penalty].double_backward:
        note = (f"train.compile: the critic runs uncompiled: its gradient penalty {penalty!r} needs a double "
                "backward, which torch.compile does not support (the generator is compiled)")
        return Execution(autocast, sync, generator=compiled_generator), [note]
    return Execution(autocast, sync, generator=compiled_generator, critic=torch.compile(critic)), []
