"""Train several small configs for a few steps and save the final networks: run by the distributed tests, once
under torchrun (2 processes, gloo) and once as one process, to compare the two.

    python distributed_worker.py OUT STEPS DTYPE NAME PRESET KEY=VALUE,KEY=VALUE [NAME PRESET ...]

DTYPE float64 runs the networks and the data in double precision. Adam divides each gradient by its own running
magnitude, so a gradient whose terms cancel to about zero (real and fake contributions to a hidden bias) turns
float32 rounding noise into steps of the learning rate's size: 1 and 2 processes, whose batch sums round
differently, part at the 1e-4 level within a few steps in float32. In float64 that noise is 1e-16, and equality
to 1e-5 tests the sharding, the gradient averaging and SyncBatchNorm themselves.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from wganlab import config as configuration
from wganlab.training import distributed
from wganlab.training.build import build
from wganlab.training.loop import train_step


class _Cast:
    """A data set whose batches come in `dtype`."""

    def __init__(self, dataset: Any, dtype: torch.dtype) -> None:
        self.dataset, self.dtype = dataset, dtype

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        return self.dataset.sample(n, rng).to(self.dtype)


def main(argv: list[str]) -> None:
    out, steps, dtype, cases = Path(argv[0]), int(argv[1]), getattr(torch, argv[2]), argv[3:]
    team, finished = distributed.join(), False
    try:
        for name, preset, overrides in zip(cases[0::3], cases[1::3], cases[2::3], strict=True):
            config = configuration.load(None, preset, overrides.split(","), steps)
            run, state = build(config, team)
            state.generator.to(dtype)  # in place: the optimisers keep the same parameters
            state.critic.to(dtype)
            run = dataclasses.replace(run, dataset=_Cast(run.dataset, dtype))
            for _ in range(steps):
                train_step(run, state)
                state.step += 1
            if team.main:
                networks = {"generator": state.generator.state_dict(), "critic": state.critic.state_dict()}
                torch.save(networks, out / f"{name}.pt")
        finished = True
    finally:
        distributed.leave(team, finished)


if __name__ == "__main__":
    main(sys.argv[1:])
