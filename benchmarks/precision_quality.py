#!/usr/bin/env python3
"""Does bf16 (or fp16) train the default toy run to the quality fp32 reaches? The `grid` preset, 3 seeds each,
the same number of steps in every precision, one run at a time, measured with the VEEGAN/PacGAN mode metrics
(2,500 samples) and the exact W1 (2,000 vs 2,000) at the end.

On a CPU without bf16/fp16 units each half-precision step costs 20-40x an fp32 step (docs/benchmarks.md), so
the default is 1,000 steps (about 11 minutes per bf16 run on a 2-core AMD EPYC), not the preset's 15,000.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import Job, pick, run_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--outdir", type=Path, default=Path("runs") / "precision-quality")
    args = parser.parse_args()
    precisions = args.precisions.split(",")
    settings = ["--set", "eval.every=0", "--set", "eval.figures=false", "--set", "eval.diagnostics=false"]
    jobs = [
        Job(f"grid-{precision}",
            ["--preset", "grid", "--steps", str(args.steps), "--set", f"train.precision={precision}", *settings],
            seed=seed, extra={"precision": precision})
        for seed in range(args.seeds) for precision in precisions
    ]
    results = run_all(jobs, args.outdir, parallel=1, threads=2)
    failed = [r for r in results if "error" in r]
    if failed:
        raise SystemExit(f"{len(failed)} runs failed: {failed[0]['error']}")
    rows = {}
    for precision in precisions:
        mine = [r for r in results if r["name"] == f"grid-{precision}"]
        metrics = [r["metrics"] for r in mine]
        rows[precision] = {
            "modes": [pick(m, "modes_") for m in metrics],
            "hq_percent": [pick(m, "hq_percent_") for m in metrics],
            "reverse_kl": [pick(m, "reverse_kl_") for m in metrics],
            "w1": [pick(m, "w1_") for m in metrics],
            "seconds_per_step": statistics.median(r["summary"]["train_seconds"] / args.steps for r in mine),
        }
        row = rows[precision]
        print(f"{precision}: modes {row['modes']}  HQ % {[round(v, 1) for v in row['hq_percent']]}  "
              f"KL {[round(v, 3) for v in row['reverse_kl']]}  W1 {[round(v, 4) for v in row['w1']]}  "
              f"{row['seconds_per_step'] * 1000:.0f} ms/step", flush=True)
    print(json.dumps({"steps": args.steps, "seeds": args.seeds, "results": rows}))


if __name__ == "__main__":
    main()
