#!/usr/bin/env python3
"""Speed: `wganlab train --preset wgan-gp-toy` against ../shared/bench/reference_wgan_gp_toy.py.

Both run the WGAN-GP toy recipe (3x512 ReLU MLPs, batch 256, 5 critic iterations, lambda 0.1, Adam) on
25gaussians in the same benchmark run, alternating, `--repeats` times each. Each times 200 generator
steps after 10 warm-up steps; wganlab's time comes from its own stats (training steps only, no
evaluation or checkpoint). Prints the median generator steps per second of each and their ratio.

`--variants fp32,bf16,fp16,compile` times wganlab under each (train.precision, train.compile) in the same
alternation, each against the same reference runs.

`--device cuda` runs wganlab on the GPU; `--reference-device cuda` runs the reference there too, unchanged, through
benchmarks/reference_on_device.py (default device and generators on the GPU; see its docstring for what that
changes and for its clock, which does not wait for the GPU: time enough steps; `--reference-factories` places it
without torch.set_default_device's per-call cost). `--reference PATH` names the
reference script where ../shared is not beside the repository (copy it there by hand; it is not in the repo).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import PRECISIONS, machine, timed_train

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reference_wgan_gp_toy.py"
WRAPPER = Path(__file__).resolve().parent / "reference_on_device.py"


def reference(iters: int, warmup: int, path: Path = REFERENCE, device: str = "cpu", factories: bool = False) -> float:
    """The reference's generator steps per second: run directly on the CPU, else through reference_on_device.py
    (with `factories`, its --factories: no torch.set_default_device)."""
    arguments = ["--iters", str(iters), "--warmup", str(warmup)]
    if device == "cpu":
        command = [sys.executable, str(path), *arguments]
    else:
        how = ["--factories"] if factories else []
        command = [sys.executable, str(WRAPPER), "--device", device, *how, str(path), *arguments]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["gen_iters_per_s"]


VARIANTS = {
    **PRECISIONS,
    # hinge + spectral norm, no penalty: both networks compile
    "sn": ["--set", "objective.loss=hinge", "--set", "objective.penalty=none", "--set",
           "objective.constraint=spectral-norm"],
    "sn-compile": ["--set", "objective.loss=hinge", "--set", "objective.penalty=none", "--set",
                   "objective.constraint=spectral-norm", "--set", "train.compile=true"],
}


def wganlab(iters: int, warmup: int, variant: str = "fp32", device: str = "cpu") -> float:
    return timed_train("wgan-gp-toy", warmup, iters, device, VARIANTS[variant])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--variants", default="fp32", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--device", default="cpu", help="wganlab's train.device")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the reference script")
    parser.add_argument("--reference-device", default="cpu",
                        help="where the reference runs: cpu (as it is), or cuda, cuda:N (via reference_on_device.py)")
    parser.add_argument("--reference-factories", action="store_true",
                        help="off the CPU, put the reference there by reference_on_device.py --factories")
    args = parser.parse_args()
    if not args.reference.is_file():
        parser.error(f"no reference script at {args.reference}: pass --reference PATH")
    variants = args.variants.split(",")
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    ours: dict[str, list[float]] = {name: [] for name in variants}
    theirs: list[float] = []
    for repeat in range(args.repeats):
        theirs.append(reference(args.iters, args.warmup, args.reference, args.reference_device,
                                args.reference_factories))
        for name in variants:
            ours[name].append(wganlab(args.iters, args.warmup, name, args.device))
        measured = "  ".join(f"{name} {values[-1]:.3f}" for name, values in ours.items())
        print(f"repeat {repeat}: reference {theirs[-1]:.3f}  wganlab {measured} generator steps/s", flush=True)

    medians = {name: statistics.median(values) for name, values in ours.items()}
    result = {
        "reference_median": statistics.median(theirs),
        "wganlab_median": medians.get("fp32", medians[variants[0]]),
        "ratio": medians.get("fp32", medians[variants[0]]) / statistics.median(theirs),
        "variants": {name: {"median": medians[name], "ratio": medians[name] / statistics.median(theirs),
                            "runs": ours[name]} for name in variants},
        "reference_runs": theirs,
        "reference_device": args.reference_device,
        "reference_placed_by": ("as it is" if args.reference_device == "cpu"
                                else "factories" if args.reference_factories else "set_default_device"),
        "repeats": args.repeats,
        "iters": args.iters,
        **machine(args.device),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
