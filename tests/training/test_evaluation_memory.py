"""Evaluation in bounded memory: the numbers of the code that held whole image sets, and a peak that grows with
the sample count only by the features the metrics keep, within what the memory estimate says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from wganlab import config as configuration
from wganlab.models.classifier import Classifier, save_classifier
from wganlab.models.sampling import BATCH
from wganlab.training import evaluation
from wganlab.training.build import build
from wganlab.training.loop import measure

# The metrics of d8617e0 (every generated image and feature held whole, as float64) for the evaluation below: the
# digits classifier in float64 and the generator in float64, so they hold on every CPU to far below the printed
# digits (`{:.6g}`, as `wganlab evaluate` prints them).
BEFORE = {
    1: {"fid_10000": 197.54849682497422, "kid_10000": 769.334702373801, "kid_std_10000": 25.12133815104516,
        "precision_10000": 0.1319, "recall_10000": 0.17188587334725122, "is_10000": 3.785774009524,
        "is_std_10000": 0.07698265741915768, "modes_10000": 10.0, "total_modes": 10.0,
        "reverse_kl_10000": 0.46319063624161616},
    3: {"fid_10000": 954.8300078078394, "kid_10000": 1010.9126388615846, "kid_std_10000": 25.658496492279543,
        "precision_10000": 0.0302, "recall_10000": 0.0002, "is_10000": 14.845512193673873,
        "is_std_10000": 0.874838608861336, "modes_10000": 253.0, "total_modes": 1000.0,
        "reverse_kl_10000": 3.006719304781643},
}


@pytest.mark.parametrize("stack", [1, 3])
def test_a_10000_sample_evaluation_gives_the_numbers_of_the_code_that_held_everything(stack: int) -> None:
    overrides = [f"data.stack={stack}", "model.width=8", "eval.image_samples=10000", "train.ema_decay=0",
                 "eval.metrics=['fid','kid','pr','is','modes']"]
    run, state = build(configuration.load(None, "digits", overrides))
    with torch.no_grad():  # a random, far from degenerate generator: diverse images
        torch.manual_seed(0)
        for parameter in state.sampler.parameters():
            parameter.normal_(0.0, 0.3)
        state.sampler.double()
    metrics = measure(run, state).metrics
    assert metrics.keys() == BEFORE[stack].keys()
    for key, before in BEFORE[stack].items():
        assert f"{metrics[key]:.6g}" == f"{before:.6g}", (key, metrics[key], before)
        assert metrics[key] == pytest.approx(before, rel=1e-9), key  # FID's float64 sums differ in order only


def _worker(folder: Path, count: int) -> dict[str, int]:
    worker = str(Path(__file__).with_name("memory_worker.py"))
    overrides = [f"data.root={folder / 'real.npz'}", "data.name=npz", "model.arch=dcgan", "model.width=8",
                 "eval.extractor=classifier", f"eval.extractor_weights={folder / 'classifier.pt'}",
                 "eval.metrics=['fid','kid','pr','is','modes']", "train.ema_decay=0"]
    # large blocks straight from the kernel and back: the peak is what the evaluation holds, not what glibc's heap
    # keeps of freed blocks (with its moving threshold that varies by tens of MB from run to run)
    env = os.environ | {"OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": str(64 * 1024)}
    done = subprocess.run([sys.executable, worker, "grid", str(count), *overrides], capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's resettable peak RSS")
def test_the_peak_grows_with_the_sample_count_only_by_the_features_kept(tmp_path: Path) -> None:
    """2,000 against 8,000 generated 16x16 RGB images, every metric on: the peak above the built run may grow by the
    6,000 images' kept features (rows, probabilities and IS's joint copy, twice over for a copy in passing) and by
    one generation chunk (what an allocator may keep of a chunk differs between runs), not by the images."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "real.npz", images=rng.integers(0, 256, size=(300, 16, 16, 3), dtype=np.uint8))
    torch.manual_seed(0)
    save_classifier(tmp_path / "classifier.pt", Classifier(3, 16, num_classes=10, feature_dim=64), {})
    small, large = _worker(tmp_path, 2000), _worker(tmp_path, 8000)
    extra, pixels = 6000, 3 * 16 * 16
    kept = extra * (64 * 8 + 2 * 10 * 8)  # float64 rows of 64, probabilities of 10, the joint copy IS takes
    chunk = evaluation.chunk_bytes(pixels)  # a chunk as made, through float64 to 8 bits and back
    whole = extra * chunk // BATCH  # the extra images as d8617e0 held them: the chunk's forms, whole
    assert 2 * kept + chunk < whole / 4  # the bound tells the two apart
    assert large["growth"] - small["growth"] <= 2 * kept + chunk, (small, large)
    for measured in (small, large):  # never more than the estimate said
        assert measured["growth"] <= measured["estimate"], measured
