#!/usr/bin/env python3
"""What DiffAugment (data.augment = "diffaug") costs per critic step, policy by policy (issue 41).

Builds a preset's run once, then times blocks of critic updates (`step.critic_step`: fresh real batch and
latents, the generator's fakes, the critic's loss and penalty, backward, optimiser step) with each policy in turn,
alternating (none, color, translation, cutout, all three; round after round), in one process, so every policy sees
the same machine state. Prints, per policy, the median time of a critic update, its difference from no
augmentation, and the median time of the augmentation alone (the real and the fake batch, forward only).

    python benchmarks/augment_cost.py --preset digits --rounds 9 --updates 20
    python benchmarks/augment_cost.py --preset wgan-gp-cifar --images 512 --set model.width=64 --rounds 5 --updates 4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from wganlab import config as configuration
from wganlab import sharding
from wganlab.data.augment import composed
from wganlab.objectives.objective import Objective
from wganlab.training.build import build
from wganlab.training.step import Run, TrainState, critic_step, real_batch

POLICIES = {"none": (), "color": ("color",), "translation": ("translation",), "cutout": ("cutout",),
            "color,translation,cutout": ("color", "translation", "cutout")}


def _synthetic(folder: Path, count: int) -> list[str]:
    """CIFAR-shaped uint8 images in an .npz (the speed of a step does not depend on what the pixels show)."""
    path = folder / "images.npz"
    np.savez(path, images=np.random.default_rng(0).integers(0, 256, (count, 32, 32, 3), dtype=np.uint8))
    return ["data.name=npz", f"data.root={path}"]


def _time_updates(run: Run, state: TrainState, objective: Objective, updates: int) -> float:
    """Mean seconds of one critic update over `updates` of them."""
    batch, latent_dim, device = run.config.train.batch_size, run.config.model.latent_dim, state.rng.device
    _finished(device)
    started = time.perf_counter()
    for _ in range(updates):
        real, _ = real_batch(run, batch, state.data_rng)
        latents = sharding.randn((batch, latent_dim), state.rng, device, torch.float32)
        critic_step(state, objective, real, latents, run.execution)
    _finished(device)
    return (time.perf_counter() - started) / updates


def _finished(device: torch.device) -> None:
    """Wait for a GPU's queued work (its kernels run after the host has moved on); nothing on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _augment_alone(objective: Objective, real: torch.Tensor, rng: torch.Generator, repeats: int = 50) -> float:
    """Median seconds of one critic update's augmentation: the real batch and a fake batch of its size."""
    if objective.augment is None:
        return 0.0
    samples = []
    for _ in range(repeats):
        _finished(real.device)
        started = time.perf_counter()
        objective.augment(real, rng)
        objective.augment(real, rng)
        _finished(real.device)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="digits")
    parser.add_argument("--set", action="append", default=[], help="section.key=value, as wganlab train takes")
    parser.add_argument("--images", type=int, default=0, help="train on this many synthetic 32x32 RGB images")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of every policy, alternating")
    parser.add_argument("--updates", type=int, default=20, help="critic updates per policy per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = _synthetic(Path(folder), args.images) if args.images else []
        config = configuration.load(preset=args.preset, overrides=[*data, *args.set, "eval.diagnostics=false"])
        run, state = build(config)
        objectives = {name: dataclasses.replace(run.objective, augment=composed(policy) if policy else None)
                      for name, policy in POLICIES.items()}
        _time_updates(run, state, objectives["none"], 5)  # warm-up
        times: dict[str, list[float]] = {name: [] for name in POLICIES}
        for _ in range(args.rounds):
            for name, objective in objectives.items():
                times[name].append(_time_updates(run, state, objective, args.updates))
        real, _ = real_batch(run, config.train.batch_size, state.data_rng)
        alone = {name: _augment_alone(objective, real, state.rng) for name, objective in objectives.items()}
    base = statistics.median(times["none"])
    rows = {name: {"update_ms": 1e3 * statistics.median(values),
                   "added_ms": 1e3 * (statistics.median(values) - base),
                   "added_percent": 100 * (statistics.median(values) / base - 1),
                   "augment_alone_ms": 1e3 * alone[name],
                   "spread_percent": 100 * (max(values) - min(values)) / statistics.median(values)}
            for name, values in times.items()}
    print(json.dumps({"preset": args.preset, "set": args.set, "batch": config.train.batch_size,
                      "shape": list(run.shape), "machine": platform.processor() or platform.machine(),
                      "threads": torch.get_num_threads(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
