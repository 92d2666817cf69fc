"""Evaluate a freshly built image run once and write its metrics: run by the distributed tests under torchrun (the
ranks share the generated images) and as one process, to compare the two.

    python evaluation_worker.py OUT.json KEY=VALUE,KEY=VALUE

The generator runs in float64: one process generates in chunks of sampling.BATCH, each rank its share, and in
float32 batches of other sizes may round otherwise (by CPU), which can move an image's 8-bit pixel.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from wganlab import config as configuration
from wganlab.training import distributed
from wganlab.training.build import build
from wganlab.training.loop import measure


def main(argv: list[str]) -> None:
    out, overrides = Path(argv[0]), argv[1].split(",")
    team, finished = distributed.join(), False
    try:
        run, state = build(configuration.load(None, "digits", overrides), team)
        with torch.no_grad():  # the same random, far from degenerate generator on every rank: diverse images
            torch.manual_seed(0)
            for parameter in state.sampler.parameters():
                parameter.normal_(0.0, 0.3)
            state.sampler.double()
        metrics = measure(run, state).metrics
        if team.main:
            out.write_text(json.dumps(metrics))
        else:
            assert metrics == {}
        finished = True
    finally:
        distributed.leave(team, finished)


if __name__ == "__main__":
    main(sys.argv[1:])
    distributed.end_process(0)  # as `wganlab` ends a torchrun process: no interpreter teardown
