#!/usr/bin/env python3
"""A sweep against the same runs one after another: `wganlab sweep` (one process, the members stacked) against
one `wganlab train` process per member, the same configs, alternating, several repeats; medians and ratios.

Two clocks: the whole commands' wall time (start-up, building, training, the final evaluations, writing), and
the time inside training steps alone (summary.json's train_seconds: the sweep's is its stacked steps', shared by
its members; the runs one after another add theirs).

Default: 16 small toy models, the WGAN toy recipe at width 64 (the size the claims train many of), weight
clipping at c = 1, 0.1, 0.01, 0.001 x seeds 0-3, 200 generator steps. `--preset grid` times the default recipe.

`--device cuda` runs both (the sweep and each separate run) with train.device=cuda. `--alone N` times only the
first N members one after another and scales their wall and step seconds by members / N: the "one after another"
column is then an extrapolation from N runs (for 64 members on a GPU, where the separate runs would take long).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import SRC, cpu_name, environment, machine  # noqa: E402

sys.path.insert(1, SRC)  # wganlab's grid and seed parsing below, where wganlab is not installed (a GPU machine)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wganlab", *args]


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def train_seconds(folder: Path) -> list[float]:
    return [json.loads(path.read_text())["train_seconds"] for path in sorted(folder.rglob("summary.json"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="wgan-toy")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--grid", default="objective.clip_value=1,0.1,0.01,0.001")
    parser.add_argument("--seeds", default="0-3")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="train.device of the sweep and of the separate runs")
    parser.add_argument("--alone", type=int, default=0,
                        help="time only the first N members one after another and scale by members / N (0: all)")
    args = parser.parse_args()
    sets = ["--set", f"model.width={args.width}", "--set", "eval.every=0", "--set", "eval.figures=false",
            "--set", "eval.diagnostics=false", "--set", "train.checkpoint_every=100000",
            "--set", f"train.device={args.device}"]
    base = ["--preset", args.preset, "--steps", str(args.steps), *sets]
    grid = ["--grid", args.grid] if args.grid else []
    from wganlab.training.sweep import parse_grid, parse_seeds

    swept = parse_grid([args.grid]) if args.grid else {}
    points = [(key, value) for key, values in swept.items() for value in values] or [(None, None)]
    members = [(point, seed) for point in points for seed in parse_seeds(args.seeds)]
    if not 0 <= args.alone <= len(members):
        parser.error(f"--alone {args.alone}: there are {len(members)} members")
    alone = members[: args.alone or len(members)]
    scale = len(members) / len(alone)  # 1 unless --alone
    timed_alone = (f"one after another: {len(alone)} of the {len(members)} runs timed, x {scale:g}"
                   if len(alone) < len(members) else "one after another: all runs timed")
    print(f"{timed_alone}; device {args.device}", flush=True)
    walls: dict[str, list[float]] = {"sweep": [], "one after another": []}
    steps: dict[str, list[float]] = {"sweep": [], "one after another": []}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            out = Path(scratch) / f"sweep-{repeat}"
            walls["sweep"].append(timed(command("sweep", *base, *grid, "--seeds", args.seeds, "--outdir", str(out))))
            steps["sweep"].append(train_seconds(out)[0])
            out = Path(scratch) / f"alone-{repeat}"
            wall = 0.0
            for (name, value), seed in alone:
                point = ["--set", f"{name}={value}"] if name else []
                wall += timed(command("train", *base, *point, "--set", f"train.seed={seed}", "--outdir", str(out)))
            walls["one after another"].append(wall * scale)
            steps["one after another"].append(sum(train_seconds(out)) * scale)
            extrapolated = f" (extrapolated from {len(alone)} runs: {wall:.1f} s x {scale:g})" if scale != 1 else ""
            print(f"repeat {repeat}: sweep {walls['sweep'][-1]:.1f} s ({steps['sweep'][-1]:.1f} s in steps), "
                  f"one after another {walls['one after another'][-1]:.1f} s "
                  f"({steps['one after another'][-1]:.1f} s in steps){extrapolated}", flush=True)
    print(f"{len(members)} runs: {args.preset}, width {args.width}, {args.grid or 'no grid'} x seeds {args.seeds}, "
          f"{args.steps} generator steps; {args.repeats} repeats, medians; "
          f"device {args.device}{gpu_name(args.device)}; {cpu_name()} ({platform.machine()}), {os.cpu_count()} cores; "
          f"{timed_alone}")
    column = "one after another" if scale == 1 else f"one after another (from {len(alone)} runs, x {scale:g})"
    for label, clock in (("whole commands, wall s", walls), ("inside training steps, s", steps)):
        sweep, apart = statistics.median(clock["sweep"]), statistics.median(clock["one after another"])
        print(f"{label:26s} sweep {sweep:8.1f}   {column} {apart:8.1f}   ratio {apart / sweep:5.2f}x")
    print(json.dumps({
        "members": len(members), "alone": len(alone), "scale": scale, "device": args.device,
        "preset": args.preset, "width": args.width, "grid": args.grid, "seeds": args.seeds, "steps": args.steps,
        "walls": walls, "steps_seconds": steps,
        "medians": {clock: {key: statistics.median(values) for key, values in times.items()}
                    for clock, times in (("wall", walls), ("in_steps", steps))},
    }))


def gpu_name(device: str) -> str:
    """The card's name in brackets after a space for a CUDA device; nothing for the CPU."""
    gpu = machine(device)["gpu"]
    return f" ({gpu})" if gpu else ""


if __name__ == "__main__":
    main()
