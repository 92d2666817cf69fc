#!/usr/bin/env python3
"""What the non-finite guard costs per training step (issue 10: under 2 % of a toy step).

Builds the default run (the `grid` preset: the published toy recipe) and times blocks of generator steps
alternately without and with the guard (`guard.Tally`: each step's statistics and each parameter's
norm added on the device, read once every `--read-every` steps, train.log_every's default), in one process,
so both see the same machine state, then the tally's per-step work alone, many times. Prints the median time per
step of each, their difference, and the tally's own median time as a share of a step (the precise figure: the
difference between the blocks is within their noise).

    python benchmarks/guard_overhead.py --blocks 15 --steps 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from wganlab import config as configuration
from wganlab.training import guard
from wganlab.training.build import build
from wganlab.training.step import train_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15, help="blocks of each kind, alternating")
    parser.add_argument("--steps", type=int, default=40, help="generator steps per block")
    parser.add_argument("--preset", default="grid")
    parser.add_argument("--read-every", type=int, default=10, help="steps between the tally's readings")
    args = parser.parse_args()
    run, state = build(configuration.load(preset=args.preset))
    tally = guard.Tally(guard.watched(state))
    for _ in range(20):  # warm-up
        train_step(run, state)
    plain, guarded = [], []
    for _ in range(args.blocks):
        for checked, times in ((False, plain), (True, guarded)):
            started = time.perf_counter()
            for index in range(1, args.steps + 1):
                stats = train_step(run, state)
                if checked:
                    tally.add(stats, index)
                    assert index % args.read_every or tally.read() is None
            times.append((time.perf_counter() - started) / args.steps)
    without, with_guard = statistics.median(plain), statistics.median(guarded)
    # the tally alone, timed many times (200 additions and their 200 / read_every readings): the blocks above
    # differ by less than their own noise
    check_times = []
    for _ in range(args.blocks):
        started = time.perf_counter()
        for index in range(1, 201):
            tally.add(stats, index)
            assert index % args.read_every or tally.read() is None
        check_times.append((time.perf_counter() - started) / 200)
    check = statistics.median(check_times)
    print(json.dumps({
        "preset": args.preset, "threads": torch.get_num_threads(), "blocks": args.blocks, "steps": args.steps,
        "step_ms_without": round(without * 1e3, 3), "step_ms_with": round(with_guard * 1e3, 3),
        "overhead_percent": round(100 * (with_guard / without - 1), 2),
        "check_us": round(check * 1e6, 1), "check_percent_of_step": round(100 * check / without, 2),
    }))


if __name__ == "__main__":
    main()
