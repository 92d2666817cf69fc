#!/usr/bin/env python3
"""Scaling: the WGAN-GP toy recipe (`--preset wgan-gp-toy`, global batch 256) in one process against the same run
under torchrun with N processes (gloo on the CPU, NCCL on GPUs), alternating, `--repeats` times each.

Each times `--iters` generator steps after `--warmup` steps, from the run's own training-step clock (rank 0's;
every rank waits for the others at each all-reduce). Prints the median steps per second of each and the
scaling efficiency, steps/s(N) / (N x steps/s(1)). On a CPU, give each process its share of the cores:
one process gets every core (`--threads`), each of N processes `--threads / N`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import cpu_name, timed_steps_per_second


def steps_per_second(processes: int, iters: int, warmup: int, threads: int, device: str) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        train = ["train", "--preset", "wgan-gp-toy", "--steps", str(warmup + iters),
                 "--set", f"train.log_every={math.gcd(warmup, iters)}", "--set", "eval.every=0",
                 "--set", "eval.figures=false", "--set", "eval.diagnostics=false",
                 "--set", "train.checkpoint_every=100000", "--set", f"train.device={device}", "--outdir", outdir]
        if processes == 1:
            command = [sys.executable, "-m", "wganlab", *train]
        else:
            launcher = shutil.which("torchrun") or sys.exit("torchrun is not on PATH")
            command = [launcher, "--standalone", "--nproc_per_node", str(processes), "-m", "wganlab", *train]
        env = dict(os.environ, OMP_NUM_THREADS=str(max(1, threads // processes)))
        subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        return timed_steps_per_second(Path(outdir), warmup, iters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    one, many = [], []
    for repeat in range(args.repeats):
        one.append(steps_per_second(1, args.iters, args.warmup, args.threads, args.device))
        many.append(steps_per_second(args.processes, args.iters, args.warmup, args.threads, args.device))
        print(f"repeat {repeat}: 1 process {one[-1]:.3f}  {args.processes} processes {many[-1]:.3f} steps/s",
              flush=True)
    single, multiple = statistics.median(one), statistics.median(many)
    print(json.dumps({"one_process": single, "processes": args.processes, "n_processes": multiple,
                      "speedup": multiple / single, "efficiency": multiple / (args.processes * single),
                      "one_runs": one, "n_runs": many, "threads": args.threads, "device": args.device,
                      "cpu": cpu_name()}))


if __name__ == "__main__":
    main()
