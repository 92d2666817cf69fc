"""Run `wganlab train` as subprocesses, several at once, and collect what each run folder says.

Shared by the benchmark scripts; nothing here is part of the package.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Job:
    name: str
    args: list[str]  # everything after `wganlab train`
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def run_job(job: Job, outdir: Path, threads: int) -> dict:
    """Train one run; return its summary, last metrics, wall time and folder."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1] / "src") + os.pathsep + env.get("PYTHONPATH", "")
    )
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
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed_steps_per_second(outdir: Path, warmup: int, iters: int) -> float:
    """Generator steps per second over steps warmup..warmup + iters of the one run under `outdir`, from its own
    training-step clock (stats.jsonl's time/train_seconds: no evaluation, no checkpoint)."""
    (run,) = Path(outdir).iterdir()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    times = {s["step"]: s["time/train_seconds"] for s in stats}
    return iters / (times[warmup + iters] - times[warmup])
