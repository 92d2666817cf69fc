"""Train several small configs for a few steps and save the final networks: run by the distributed tests, once
under torchrun (2 processes, gloo) and once as one process, to compare the two.

    python distributed_worker.py OUT STEPS DTYPE NAME PRESET KEY=VALUE,KEY=VALUE [NAME PRESET ...]

DTYPE float64 runs the networks and the data in double precision (double.py says why: 1 and 2 processes, whose
batch sums round differently, part at the 1e-4 level within a few steps in float32; in float64 the difference
left is rounding far below double.EQUAL, and equality to it tests the sharding, the gradient averaging and
SyncBatchNorm themselves).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from double import cast  # this folder's, on the path when the file runs as a script

from wganlab import config as configuration
from wganlab.training import distributed
from wganlab.training.build import build
from wganlab.training.step import train_step


def main(argv: list[str]) -> None:
    out, steps, dtype, cases = Path(argv[0]), int(argv[1]), getattr(torch, argv[2]), argv[3:]
    team, finished = distributed.join(), False
    try:
        for name, preset, overrides in zip(cases[0::3], cases[1::3], cases[2::3], strict=True):
            config = configuration.load(None, preset, overrides.split(","), steps)
            run, state = build(config, team)
            run = cast(run, state, dtype)
            for _ in range(steps):
                train_step(run, state)
                state.step += 1
            if team.main:
                networks = {"generator": state.generator.state_dict(), "critic": state.critic.state_dict()}
                torch.save(networks, out / f"{name}.pt")
            print(f"[rank{team.rank}] {name}: {steps} steps trained", file=sys.stderr, flush=True)
        finished = True
    finally:
        distributed.leave(team, finished)
    print(f"[rank{team.rank}] left the job", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
    distributed.end_process(0)  # as `wganlab` ends a torchrun process: no interpreter teardown
