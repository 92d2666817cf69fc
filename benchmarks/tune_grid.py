#!/usr/bin/env python3
"""The sweep behind the default `grid` preset: candidate recipes on the 25-mode grid, one seed each.

Run where there are cores to spare (e.g. `--parallel 16 --threads 1`); prints one JSON line per run and
a table sorted by modes, then HQ %. The chosen recipe goes into src/wganlab/presets.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import Job, pick, run_all

# The baseline every variant changes: the WGAN-GP toy recipe on the grid (the defaults when the sweep ran).
BASE = [
    "--preset",
    "wgan-gp-toy",
    "--set",
    'data.name="grid"',
    "--set",
    "eval.figures=false",
    "--set",
    "eval.every=1000",
    "--set",
    "train.checkpoint_every=100000",
]


def variant(name: str, steps: int, **sets: object) -> Job:
    args = list(BASE) + ["--steps", str(steps)]
    for key, value in sets.items():
        section, _, option = key.partition("__")
        text = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
        args += ["--set", f"{section}.{option}={text}"]
    return Job(name, args)


W256 = {"model__width": 256}
FAST = {"optim__lr_generator": 5e-4, "optim__lr_critic": 5e-4, "optim__lr_decay": "linear"}
VARIANTS = [
    variant("toy-w512", 3000),
    variant("w256-lr1e-4", 8000, **W256),
    variant("w256-fast", 8000, **W256, **FAST),
    variant("w256-fast-l1", 8000, **W256, **FAST, objective__penalty_weight=1.0),
    variant("w256-fast-l10", 8000, **W256, **FAST, objective__penalty_weight=10.0),
    variant("w256-fast-ema", 8000, **W256, **FAST, train__ema_decay=0.999),
    variant("w256-lr1e-3", 8000, **W256, optim__lr_generator=1e-3, optim__lr_critic=1e-3, optim__lr_decay="linear"),
    variant("w256-fast-lp", 8000, **W256, **FAST, objective__penalty="lp"),
    variant("w128-fast", 16000, model__width=128, **FAST),
    variant("w256-d4-fast", 6000, **W256, **FAST, model__depth=4),
    variant(
        "w256-ns-r1",
        24000,
        **W256,
        **FAST,
        objective__loss="non-saturating",
        objective__penalty="r1",
        objective__penalty_weight=1.0,
        train__critic_iters=1,
    ),
    variant("w256-fast-z8", 8000, **W256, **FAST, model__latent_dim=8),
    variant("w256-fast-b512", 5000, **W256, **FAST, train__batch_size=512),
    variant("w256-fast-nc2", 15000, **W256, **FAST, train__critic_iters=2),
    variant("w256-fast-leaky", 8000, **W256, **FAST, model__activation="leaky-relu"),
    variant("w256-fast-b09", 8000, **W256, **FAST, optim__betas=[0.0, 0.9]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("benchmarks/results/tune_grid"))
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra --set for every run")
    args = parser.parse_args()
    jobs = [v for v in VARIANTS if not args.only or v.name in args.only]
    for job in jobs:
        for item in args.extra:
            job.args.extend(["--set", item])
    results = run_all(jobs, args.outdir, args.parallel, args.threads)
    print(f"{'variant':<18} {'modes':>5} {'HQ%':>6} {'KL':>7} {'W1':>7} {'steps/s':>8} {'wall s':>7}")
    ok = [r for r in results if "metrics" in r]
    ok.sort(key=lambda r: (-pick(r["metrics"], "modes_"), -pick(r["metrics"], "hq_percent_")))
    for r in ok:
        m = r["metrics"]
        print(
            f"{r['name']:<18} {pick(m, 'modes_'):>5.0f} {pick(m, 'hq_percent_'):>6.1f} "
            f"{pick(m, 'reverse_kl_'):>7.4f} {pick(m, 'w1_'):>7.4f} "
            f"{r['summary']['generator_steps_per_second']:>8.1f} {r['wall_seconds']:>7.0f}"
        )
    for r in results:
        if "error" in r:
            print(f"{r['name']}: FAILED {r['error'][-300:]}")


if __name__ == "__main__":
    main()
