#!/usr/bin/env python3
"""Peak memory of one image evaluation at the field's sample counts (issue 32), each in a fresh process.

The DCGAN preset's networks (dcgan-paper, width 64, 64x64 RGB), random weights; real data: 2,000 random 64x64
images in an .npz; the extractor: a random-weight `classifier` file with Inception's output widths (2,048 features,
1,008 classes), computed in float64, so its rows take twice the bytes Inception's float32 rows do; every metric on
(FID, KID, precision/recall, IS, modes). Each count is measured by tests/training/memory_worker.py (the memory
test's own measurement); printed per count: the process's peak RSS, how far it rose above the built run during the
evaluation, the memory estimate's evaluation part, and the wall time of the evaluation. Run it under the cap:

    ../shared/tools/capped 12G 3600 -- python benchmarks/evaluation_memory.py [--samples 10000 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from wganlab.models.classifier import Classifier, save_classifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import cpu_name  # noqa: E402

MIB = 2**20
REAL_IMAGES = 2000
WORKER = Path(__file__).resolve().parent.parent / "tests" / "training" / "memory_worker.py"


def prepare(folder: Path) -> list[str]:
    """The real images and the extractor in `folder`; the overrides that use them."""
    rng = np.random.default_rng(0)
    np.savez(folder / "real.npz", images=rng.integers(0, 256, size=(REAL_IMAGES, 64, 64, 3), dtype=np.uint8))
    torch.manual_seed(0)
    save_classifier(folder / "classifier.pt", Classifier(3, 64, num_classes=1008, feature_dim=2048), {})
    return [f"data.root={folder / 'real.npz'}", "data.name=npz", "eval.extractor=classifier",
            f"eval.extractor_weights={folder / 'classifier.pt'}", "eval.metrics=['fid','kid','pr','is','modes']"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[10000, 50000])
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores")
    print(f"{'samples':>8} {'peak RSS MiB':>13} {'evaluation MiB':>15} {'estimate MiB':>13} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        overrides = prepare(folder)
        env = os.environ | {"WGANLAB_CACHE": str(folder / "cache")}
        for count in args.samples:
            command = ["/usr/bin/time", "-f", "%M", sys.executable, str(WORKER), "dcgan", str(count), *overrides]
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
            row = json.loads(done.stdout.splitlines()[-1])
            peak = int(done.stderr.strip().splitlines()[-1]) * 1024  # /usr/bin/time's maximum resident set, KiB
            print(f"{count:>8} {peak / MIB:>13.0f} {row['growth'] / MIB:>15.0f} {row['estimate'] / MIB:>13.0f} "
                  f"{row['seconds']:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
