#!/usr/bin/env python3
"""Time to quality: the training seconds a recipe needs until its samples reach the mode benchmark's targets.

Targets (REFERENCE.md section 2 protocol, 2,500 samples): grid and 25gaussians 24/25 modes and HQ >= 90 %;
ring 8/8 and HQ >= 90 %. For each data set and seed, `wganlab train` runs alone (one process, one at a time)
with an evaluation every --every generator steps; the time is the run's own training-step clock
(stats.jsonl's time/train_seconds at the first evaluation that meets the target: no evaluation, no checkpoint
in it). Beside it, ../shared/bench/reference_wgan_gp_toy.py (the published WGAN-GP toy recipe written the plain
way) dumps 2,500 samples every --every steps with its clock; the same metrics are taken of each dump. The
reference is capped at --reference-seconds per run and has no `ring` (its data sets are the toy code's).

Prints one line per run and a table of medians; "-" is a target not reached in the run.
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
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import cpu_name, environment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reference_wgan_gp_toy.py"
TARGETS = {"grid": 24, "25gaussians": 24, "ring": 8}  # modes; and HQ >= 90 % for every data set
HQ = 90.0


def reached(modes: float, hq: float, data: str) -> bool:
    return modes >= TARGETS[data] and hq >= HQ


def wganlab_run(args: argparse.Namespace, data: str, seed: int, out: Path) -> dict:
    command = [sys.executable, "-m", "wganlab", "train", "--preset", args.preset, "--outdir", str(out),
               "--set", f'data.name="{data}"', "--set", f"train.seed={seed}", "--set", f"eval.every={args.every}",
               "--set", "eval.figures=false", "--set", "eval.diagnostics=false", *args.extra]
    done = subprocess.run(command, env=environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    folder = next(out.iterdir())
    clock = {r["step"]: r["time/train_seconds"] for r in map(json.loads, (folder / "stats.jsonl").open())}
    summary = json.loads((folder / "summary.json").read_text())
    hit = None
    for record in map(json.loads, (folder / "metrics.jsonl").open()):
        modes, hq = record["modes_2500"], record["hq_percent_2500"]
        if hit is None and reached(modes, hq, data):
            hit = (record["step"], clock[record["step"]])
    final = summary["metrics"]
    return {"hit": hit, "train_seconds": summary["train_seconds"], "steps": summary["step"],
            "final": (final["modes_2500"], final["hq_percent_2500"], final["reverse_kl_2500"])}


def reference_run(args: argparse.Namespace, data: str, seed: int, out: Path) -> dict:
    from wganlab.data.toy import make_toy
    from wganlab.metrics.modes import mode_coverage

    # as many steps as the cap allows: the run is stopped at --reference-seconds, its dumps so far are what it reached
    command = [sys.executable, str(REFERENCE), "--dataset", data, "--iters", "100000000", "--warmup", "0",
               "--seed", str(seed), "--dump", str(out), "--dump-every", str(args.every)]
    try:
        subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=args.reference_seconds)
    except subprocess.TimeoutExpired:
        pass  # capped: the dumps so far are what it reached
    distribution = make_toy(data, seed=seed)
    times = {}
    if (out / "times.tsv").exists():
        for line in (out / "times.tsv").read_text().splitlines():
            step, seconds = line.split("\t")
            times[int(step)] = float(seconds)
    hit, last = None, None
    for step in sorted(times):
        path = out / f"step-{step:07d}.npy"
        if not path.exists():
            continue
        coverage = mode_coverage(torch.from_numpy(np.load(path)), distribution.centres, distribution.sigma)
        last = (coverage.modes, 100 * coverage.high_quality, coverage.reverse_kl)
        if hit is None and reached(coverage.modes, 100 * coverage.high_quality, data):
            hit = (step, times[step])
    return {"hit": hit, "train_seconds": max(times.values(), default=0.0), "steps": max(times, default=0),
            "final": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="grid", help="the wganlab recipe (default: the default, grid)")
    parser.add_argument("--data", default="grid,25gaussians,ring")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--every", type=int, default=250, help="generator steps between evaluations / dumps")
    parser.add_argument("--reference-seconds", type=float, default=300.0, help="cap per reference run; 0: none")
    parser.add_argument("--set", dest="extra", action="append", default=[], type=lambda s: f"--set={s}",
                        help="an override for the wganlab runs, e.g. --set train.steps=4000")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for data in args.data.split(","):
            for who in ("wganlab", "reference"):
                if who == "reference" and (args.reference_seconds <= 0 or data == "ring"):
                    continue
                results = []
                for seed in seeds:
                    out = Path(scratch) / f"{who}-{data}-{seed}"
                    out.mkdir()
                    run = wganlab_run if who == "wganlab" else reference_run
                    result = run(args, data, seed, out)
                    results.append(result)
                    hit = f"step {result['hit'][0]} at {result['hit'][1]:.1f} s" if result["hit"] else "not reached"
                    final = result["final"]
                    last = f"final modes {final[0]:.0f} HQ {final[1]:.1f} % KL {final[2]:.4f}" if final else "no dump"
                    print(f"{who:9s} {data:12s} seed {seed}: target {hit}; ran {result['steps']} steps in "
                          f"{result['train_seconds']:.1f} s, {last}", flush=True)
                times = [result["hit"][1] for result in results if result["hit"]]
                worst = max(times) if len(times) == len(results) else None
                rows.append((who, data, times, worst, results))
    print(f"\n{cpu_name()} ({platform.machine()}), {os.cpu_count()} cores, torch {torch.__version__}; wganlab preset "
          f"{args.preset} {' '.join(args.extra)}; evaluation every {args.every} steps; targets: 24/25 (grid, "
          f"25gaussians), 8/8 (ring), HQ >= {HQ:g} %")
    print(f"{'recipe':9s} {'data':12s} {'seconds to target, per seed':32s} {'median':>8s} {'worst':>8s}")
    for who, data, times, worst, results in rows:
        per_seed = ", ".join(f"{r['hit'][1]:.1f}" if r["hit"] else "-" for r in results)
        median = f"{statistics.median(times):.1f}" if len(times) == len(results) else "-"
        print(f"{who:9s} {data:12s} {per_seed:32s} {median:>8s} {(f'{worst:.1f}' if worst else '-'):>8s}")


if __name__ == "__main__":
    main()
