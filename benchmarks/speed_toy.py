#!/usr/bin/env python3
"""Speed: `wganlab train --preset wgan-gp-toy` against ../shared/bench/reference_wgan_gp_toy.py.

Both run the WGAN-GP toy recipe (3x512 ReLU MLPs, batch 256, 5 critic iterations, lambda 0.1, Adam) on
25gaussians in the same benchmark run, alternating, `--repeats` times each. Each times 200 generator
steps after 10 warm-up steps; wganlab's time comes from its own stats (training steps only, no
evaluation or checkpoint). Prints the median generator steps per second of each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reference_wgan_gp_toy.py"


def reference(iters: int, warmup: int) -> float:
    done = subprocess.run(
        [sys.executable, str(REFERENCE), "--iters", str(iters), "--warmup", str(warmup)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["gen_iters_per_s"]


def wganlab(iters: int, warmup: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as outdir:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "wganlab.cli",
                "train",
                "--preset",
                "wgan-gp-toy",
                "--steps",
                str(warmup + iters),
                "--set",
                f"train.log_every={warmup}",
                "--set",
                "eval.every=0",
                "--set",
                "eval.figures=false",
                "--set",
                "train.checkpoint_every=100000",
                "--outdir",
                outdir,
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        (run,) = Path(outdir).iterdir()
        stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    times = {s["step"]: s["time/train_seconds"] for s in stats}
    return iters / (times[warmup + iters] - times[warmup])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    ours, theirs = [], []
    for repeat in range(args.repeats):
        theirs.append(reference(args.iters, args.warmup))
        ours.append(wganlab(args.iters, args.warmup))
        print(
            f"repeat {repeat}: reference {theirs[-1]:.2f}  wganlab {ours[-1]:.2f} generator steps/s",
            flush=True,
        )
    import torch

    result = {
        "reference_median": statistics.median(theirs),
        "wganlab_median": statistics.median(ours),
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "repeats": args.repeats,
        "iters": args.iters,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
