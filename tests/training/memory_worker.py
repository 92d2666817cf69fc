"""Measure one image evaluation's memory in a fresh process: how far the resident set rises above what the built
run holds while `measure` runs, and what the memory estimate says it needs. Run by test_evaluation_memory.py:

    python memory_worker.py FOLDER COUNT   ->   prints {"growth": bytes, "estimate": bytes} as JSON

FOLDER holds real.npz (the real images) and classifier.pt (the extractor); the peak is the kernel's high-water mark
(/proc/self/status VmHWM), reset just before the evaluation (/proc/self/clear_refs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from wganlab import config as configuration
from wganlab.data.datasets import data_shape
from wganlab.training.build import build
from wganlab.training.loop import measure
from wganlab.training.memory import activation_values, image_evaluation


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(folder: Path, count: int) -> None:
    torch.set_num_threads(1)
    overrides = [f"data.root={folder / 'real.npz'}", "data.name=npz", "model.arch=dcgan", "model.width=8",
                 "eval.extractor=classifier", f"eval.extractor_weights={folder / 'classifier.pt'}",
                 f"eval.image_samples={count}", "eval.metrics=['fid','kid','pr','is','modes']", "train.ema_decay=0"]
    config = configuration.load(None, None, overrides)
    run, state = build(config)
    shape = data_shape(run.dataset)
    generator_values = activation_values(config, shape)[0] / 2
    estimate = image_evaluation(config, shape, len(run.dataset), generator_values)
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from the current set
    metrics = measure(run, state).metrics
    assert f"fid_{count}" in metrics and f"recall_{count}" in metrics and f"is_{count}" in metrics, metrics
    print(json.dumps({"growth": _status("VmHWM") - before, "estimate": estimate}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
