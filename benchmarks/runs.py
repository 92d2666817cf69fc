"""Run `wganlab train` as subprocesses, several at once, and collect what each run folder says.

Shared by the benchmark scripts; nothing here is part of the package.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from wganlab.machine import cpu_model

SRC = str(Path(__file__).resolve().parents[1] / "src")
# train.precision and train.compile as --set overrides, for the speed benchmarks
PRECISIONS = {
    "fp32": [],
    "bf16": ["--set", "train.precision=bf16"],
    "fp16": ["--set", "train.precision=fp16"],
    "compile": ["--set", "train.compile=true"],  # under a gradient penalty the generator only: the critic stays eager
}


@dataclass(frozen=True)
class Job:
    name: str
    args: list[str]  # everything after `wganlab train`
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def run_job(job: Job, outdir: Path, threads: int) -> dict:
    """Train one run; return its summary, last metrics, wall time and folder."""
    env = environment() | {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    folder = outdir / f"{job.name}-s{job.seed}"
    command = [
        sys.executable,
        "-m",
        "wganlab.cli",
        "train",
        *job.args,
        "--set",
        f"train.seed={job.seed}",
        "--outdir",
        str(folder),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    result = {"name": job.name, "seed": job.seed, "wall_seconds": wall, "returncode": done.returncode}
    runs = sorted(folder.glob("*/")) if folder.exists() else []
    if done.returncode != 0 or not runs:
        result["error"] = (done.stderr or done.stdout)[-2000:]
        return result
    run = runs[-1]
    summary = json.loads((run / "summary.json").read_text())
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    result |= {"run": str(run), "summary": summary, "history": history, "metrics": summary["metrics"]}
    return result


def run_all(jobs: list[Job], outdir: Path, parallel: int, threads: int, log=print) -> list[dict]:
    outdir.mkdir(parents=True, exist_ok=True)
    results = []
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for result in pool.map(lambda job: run_job(job, outdir, threads), jobs):
            log(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
            results.append(result)
    return results


def pick(metrics: dict, prefix: str) -> float:
    """The value of the first metric whose name starts with `prefix` (names carry their sample counts)."""
    return next((v for k, v in metrics.items() if k.startswith(prefix)), float("nan"))


def cpu_name() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    return cpu_model() or platform.processor() or "unknown"


def timed_steps_per_second(outdir: Path, warmup: int, iters: int) -> float:
    """Generator steps per second over steps warmup..warmup + iters of the one run under `outdir`, from its own
    training-step clock (stats.jsonl's time/train_seconds: no evaluation, no checkpoint)."""
    (run,) = Path(outdir).iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    times = {s["step"]: s["time/train_seconds"] for s in stats}
    return iters / (times[warmup + iters] - times[warmup])


def environment() -> dict[str, str]:
    """os.environ with the repository's src first on PYTHONPATH, after it whatever the caller had there (packages
    installed beside the interpreter's, as POT is on the device machine)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))


def timed_train(preset: str, warmup: int, iters: int, device: str, settings: list[str]) -> tuple[float, dict]:
    """`wganlab train --preset preset` with `settings` (--set pairs) for warmup + iters generator steps, evaluating
    only at its end and checkpointing never: (its generator steps per second over the timed steps, its config)."""
    with tempfile.TemporaryDirectory() as outdir:
        command = [
            sys.executable, "-m", "wganlab.cli", "train", "--preset", preset, "--steps", str(warmup + iters),
            "--set", f"train.log_every={math.gcd(warmup, iters)}",  # a line at the warm-up's end and at the last step
            "--set", "eval.every=0", "--set", "eval.figures=false", "--set", "train.checkpoint_every=100000",
            "--outdir", outdir, *settings, "--set", f"train.device={device}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=environment())
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{(done.stderr or done.stdout)[-2000:]}")
        (run,) = Path(outdir).iterdir()
        return timed_steps_per_second(Path(outdir), warmup, iters), json.loads((run / "config.json").read_text())


def machine(device: str) -> dict:
    """What a benchmark's JSON says of where it ran: the CPU, its cores and torch's threads, torch, the GPU."""
    import torch

    gpu = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else None
    return {"cpu": cpu_name(), "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "device": device, "gpu": gpu}
