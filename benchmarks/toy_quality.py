#!/usr/bin/env python3
"""Toy quality benchmark: the default preset on `grid` and `ring`, 3 seeds each, beside `gan-ns` and
`wgan-paper`, with the VEEGAN/PacGAN mode metrics (2,500 samples) and the exact W1 (2,000 vs 2,000).

Every run gets at most 5 minutes on a 2-core CPU: the default preset's own step count, and for the
comparison presets the step counts in STEPS, measured to fit that budget on the reference machine.
Targets (issue 2): grid 25/25 modes in every seed, mean HQ >= 90 %, mean reverse KL <= 0.02;
ring 8/8 in every seed, mean HQ >= 90 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import Job, pick, run_all

STEPS = {"grid": None, "gan-ns": 25000, "wgan-paper": 4000}  # None: the preset's own train.steps
PUBLISHED = {  # REFERENCE.md section 2: modes / HQ % / KL
    ("grid", "PacGAN4"): "24.8 / 93.6 / 0.04",
    ("grid", "WGAN-GP (GDPP)"): "24.2 / 28.7 / -",
    ("ring", "PacGAN4"): "7.8 / 95.9 / 0.07",
    ("ring", "WGAN-GP (GDPP)"): "6.8 / 59.6 / -",
}


def jobs_for(presets: list[str], datasets: list[str], seeds: int, device: str) -> list[Job]:
    jobs = []
    for preset in presets:
        for dataset in datasets:
            for seed in range(seeds):
                args = [
                    "--preset",
                    preset,
                    "--set",
                    f'data.name="{dataset}"',
                    "--set",
                    f'train.device="{device}"',
                    "--set",
                    "eval.figures=false",
                    "--set",
                    "eval.every=1000",
                ]
                if STEPS.get(preset):
                    args += ["--steps", str(STEPS[preset])]
                jobs.append(
                    Job(f"{preset}-{dataset}", args, seed=seed, extra={"preset": preset, "dataset": dataset})
                )
    return jobs


def table(results: list[dict]) -> str:
    rows = [
        f"{'preset':<11} {'dataset':<7} {'modes per seed':<16} {'HQ % (mean)':>11} {'KL (mean)':>10} "
        f"{'W1 (mean)':>10} {'max wall s':>10}"
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["extra"]["preset"], r["extra"]["dataset"]), []).append(r)
    for (preset, dataset), members in groups.items():
        done = [m for m in members if "metrics" in m]
        if not done:
            rows.append(f"{preset:<11} {dataset:<7} FAILED")
            continue
        modes = [pick(m["metrics"], "modes_") for m in done]
        total = done[0]["metrics"]["total_modes"]
        mean = {
            p: statistics.fmean(pick(m["metrics"], p) for m in done)
            for p in ("hq_percent_", "reverse_kl_", "w1_")
        }
        per_seed = ",".join(f"{x:.0f}" for x in modes) + f" /{total:.0f}"
        rows.append(
            f"{preset:<11} {dataset:<7} {per_seed:<16} {mean['hq_percent_']:>11.1f} "
            f"{mean['reverse_kl_']:>10.4f} {mean['w1_']:>10.4f} "
            f"{max(m['wall_seconds'] for m in members):>10.0f}"
        )
    rows.append("published (REFERENCE.md section 2), modes / HQ % / KL:")
    rows += [f"  {dataset:<5} {method:<15} {value}" for (dataset, method), value in PUBLISHED.items()]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(STEPS))
    parser.add_argument("--datasets", nargs="+", default=["grid", "ring"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (1 on a 2-core machine)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per run")
    parser.add_argument("--outdir", type=Path, default=Path("benchmarks/results/toy_quality"))
    args = parser.parse_args()
    jobs = jobs_for(args.presets, args.datasets, args.seeds, args.device)
    results = run_all(jobs, args.outdir, args.parallel, args.threads)
    for result, job in zip(results, jobs, strict=True):
        result["extra"] = job.extra
    print(table(results))
    (args.outdir / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
