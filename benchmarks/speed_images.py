#!/usr/bin/env python3
"""Speed: `wganlab train --preset wgan-gp-cifar` (the WGAN-GP CIFAR-10 ResNet) in fp32, bf16, fp16 and compiled.

Each variant (train.precision, train.compile as `--set` overrides) trains the preset on synthetic data, random
uint8 32x32 RGB images (`--images`, a fixed seed) written to a temporary .npz and read by the `npz` data set, in
the same benchmark run, alternating, `--repeats` times each. Each times `--iters` generator steps (n_critic
critic steps and one generator step each) after `--warmup` steps, from wganlab's own stats (training steps only:
no evaluation, checkpoint or start-up). Prints each repeat and the median generator steps per second of each
variant, and each against fp32.

The runs evaluate nothing along the way (eval.every=0, no figures, no diagnostics) and their one final evaluation
at the last step measures no metrics (eval.metrics=[]: no FID or Inception network) on 64 generated images; none
of it is in the timed steps. `--width` and `--batch` shrink the preset (model.width, train.batch_size) to check
the script on a CPU; the preset's generator batch (128 for wgan-gp-cifar) stays unless `--generator-batch`.
`--preset` takes another preset whose networks fit 32x32 RGB images (sngan-cifar, dcgan, wgan-dcgan).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import PRECISIONS, machine, timed_train  # noqa: E402


def write_images(path: Path, count: int, seed: int = 0) -> None:
    """`count` random uint8 images [N, 32, 32, 3] as the .npz the `npz` data set reads (array "images")."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8)
    np.savez(path, images=pixels)


def wganlab(data: Path, args: argparse.Namespace, variant: str) -> tuple[float, dict]:
    """One run's generator steps per second over its timed steps, and its resolved config."""
    sizes = []
    if args.width:
        sizes += ["--set", f"model.width={args.width}"]
    if args.batch:
        sizes += ["--set", f"train.batch_size={args.batch}"]
    if args.generator_batch:
        sizes += ["--set", f"train.generator_batch_size={args.generator_batch}"]
    settings = [
        "--set", "data.name=npz", "--set", f"data.root={data}",
        "--set", "eval.diagnostics=false",
        "--set", "eval.metrics=[]",  # the final evaluation at the last step: no FID/KID/IS network
        "--set", "eval.image_samples=64",  # ... and only 64 images generated for it
        *sizes, *PRECISIONS[variant],
    ]
    return timed_train(args.preset, args.warmup, args.iters, args.device, settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="wgan-gp-cifar")
    parser.add_argument("--device", default="cpu", help="train.device: cpu, cuda, cuda:N")
    parser.add_argument("--variants", default="fp32,bf16,fp16,compile",
                        help=f"comma-separated, of {', '.join(PRECISIONS)}")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--width", type=int, default=0, help="model.width (default: the preset's, 128)")
    parser.add_argument("--batch", type=int, default=0, help="train.batch_size (default: the preset's, 64)")
    parser.add_argument("--generator-batch", type=int, default=0,
                        help="train.generator_batch_size (default: the preset's, 128)")
    parser.add_argument("--images", type=int, default=2048, help="synthetic training images")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = [name for name in variants if name not in PRECISIONS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(PRECISIONS)}")
    ours: dict[str, list[float]] = {name: [] for name in variants}
    config: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "images.npz"
        write_images(data, args.images)
        for repeat in range(args.repeats):
            for name in variants:
                speed, config = wganlab(data, args, name)
                ours[name].append(speed)
            measured = "  ".join(f"{name} {values[-1]:.3f}" for name, values in ours.items())
            print(f"repeat {repeat}: {measured} generator steps/s", flush=True)

    medians = {name: statistics.median(values) for name, values in ours.items()}
    baseline = medians.get("fp32")
    result = {
        "preset": args.preset,
        "medians": medians,
        "against_fp32": {name: median / baseline for name, median in medians.items()} if baseline else None,
        "runs": ours,
        "width": config["model"]["width"],
        "batch": config["train"]["batch_size"],
        "generator_batch": config["train"]["generator_batch_size"],
        "critic_iters": config["train"]["critic_iters"],
        "images": args.images,
        "repeats": args.repeats,
        "iters": args.iters,
        "warmup": args.warmup,
        **machine(args.device),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
