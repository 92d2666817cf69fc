"""Measure one image evaluation's memory in a fresh process: how far the resident set rises above what the built
run holds while `measure` runs, and what the memory estimate says it needs. Run by test_evaluation_memory.py and
by benchmarks/evaluation_memory.py:

    python memory_worker.py PRESET COUNT [KEY=VALUE ...]   ->   {"growth": bytes, "estimate": bytes, "seconds": s}

The config is PRESET with `eval.image_samples` = COUNT and the KEY=VALUE overrides (an image run with every
metric on); the peak is the kernel's high-water mark (/proc/self/status VmHWM), reset just before the evaluation
(/proc/self/clear_refs).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from wganlab import config as configuration
from wganlab.data.datasets import data_shape
from wganlab.training.build import build
from wganlab.training.loop import measure
from wganlab.training.memory import estimate as memory_estimate


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(preset: str, count: int, overrides: list[str]) -> None:
    config = configuration.load(None, preset, [*overrides, f"eval.image_samples={count}"])
    run, state = build(config)
    shape = data_shape(run.dataset)
    estimate = memory_estimate(config, shape, len(run.dataset))["evaluation"]  # what the run was checked against
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from the current set
    start = time.perf_counter()
    metrics = measure(run, state).metrics
    seconds = time.perf_counter() - start
    assert f"fid_{count}" in metrics and f"recall_{count}" in metrics and f"is_{count}" in metrics, metrics
    print(json.dumps({"growth": _status("VmHWM") - before, "estimate": estimate, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
