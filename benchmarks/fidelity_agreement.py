#!/usr/bin/env python3
"""`wganlab evaluate` against torch-fidelity with the real Inception weights (issue 36): FID, KID and IS of the same
PNG files.

Trains a small digits run (or takes --run), writes --count of its samples with `wganlab sample` and as many
scikit-learn digits as 8-bit PNGs, then scores the two folders with `wganlab evaluate`'s own function
(evaluate_samples, full precision) and with torch_fidelity.calculate_metrics under the same protocol: equal counts
with kid_subset_size = count (every KID subset is the whole set, so neither side's RNG matters; hence --count at
most 1,000, our subset size), IS in 10 splits in file order (samples_shuffle=False). Prints both sets of numbers,
their relative differences and whether each is within 1e-3 (tests/metrics/test_fidelity_agreement.py's bound, met
there with a random-weight stand-in); exits 1 when one is not.

The weights: --weights, else torch-fidelity's cache file ($TORCH_HOME/hub/checkpoints/
weights-inception-2015-12-05-6726825d.pth, which `wganlab evaluate --extractor inception` also reads). Where
neither exists, it prints one line saying so and exits 0. Where torchvision cannot be imported, torch-fidelity runs
beside tests/inception_standin.py's minimal torchvision. Both sides run on CUDA where there is a GPU; on a CPU,
Inception takes about 4 x count passes at 20-50 images/s (the default 1,000: a few minutes).

    python benchmarks/fidelity_agreement.py [--count 1000] [--weights PATH] [--run RUN_FOLDER]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.inception_standin and tests.tiny, shared with the test
from tests.inception_standin import torchvision_if_missing  # noqa: E402
from tests.tiny import DIGITS  # noqa: E402

from wganlab import cli  # noqa: E402
from wganlab.evaluate import evaluate_samples  # noqa: E402
from wganlab.metrics.inception import INCEPTION_WEIGHTS_NAME, cached_weights  # noqa: E402

RELATIVE = 1e-3
NAMES = {"fid": "frechet_inception_distance", "kid": "kernel_inception_distance_mean",
         "is": "inception_score_mean", "is_std": "inception_score_std"}


def write_real_digits(folder: Path, count: int) -> None:
    """The first `count` scikit-learn digits as 8x8 grayscale PNGs (0..16 scaled to 0..255)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    folder.mkdir()
    pixels = np.rint(load_digits().images[:count] / 16.0 * 255.0).astype(np.uint8)  # [count, 8, 8]
    for index, image in enumerate(pixels):
        Image.fromarray(image, mode="L").save(folder / f"{index:06d}.png")


def sampled(run: Path | None, steps: int, count: int, work: Path) -> Path:
    """`count` samples of `run` (or of a digits run trained for `steps` generator steps) as PNGs in a folder."""
    if run is None:
        if cli.main(["train", *DIGITS, "--steps", str(steps), "--outdir", str(work / "runs")]) != 0:
            raise SystemExit("training the digits run failed")
        (run,) = (work / "runs").iterdir()
    if cli.main(["sample", str(run), "--count", str(count), "--out", str(work / "samples")]) != 0:
        raise SystemExit(f"`wganlab sample {run}` failed")
    return work / "samples"


def ours(samples: Path, real: Path, weights: Path, count: int) -> dict[str, float]:
    values = {"data.name": "folder", "data.root": str(real), "data.split": "train", "data.stack": 1,
              "eval.metrics": "fid,kid,is", "eval.extractor": "inception", "eval.extractor_weights": str(weights)}
    _, _, metrics = evaluate_samples(samples, values)
    return {name: metrics[f"{name}_{count}"] for name in NAMES}


def theirs(samples: Path, real: Path, weights: Path, count: int) -> dict[str, float]:
    import torch_fidelity

    metrics = torch_fidelity.calculate_metrics(
        input1=str(samples), input2=str(real), fid=True, kid=True, isc=True,
        feature_extractor="inception-v3-compat", feature_extractor_weights_path=str(weights),
        kid_subset_size=count, isc_splits=10, samples_shuffle=False,
        cuda=torch.cuda.is_available(), cache=False, verbose=False, save_cpu_ram=True,
    )
    return {name: float(metrics[key]) for name, key in NAMES.items()}


def compare(mine: dict[str, float], reference: dict[str, float]) -> bool:
    """Print both sets of numbers and their relative differences; whether FID, KID and IS are within RELATIVE."""
    print(f"{'metric':8} {'wganlab':>16} {'torch-fidelity':>16} {'relative diff':>14}")
    agree = True
    for name in NAMES:
        difference = abs(mine[name] - reference[name]) / max(abs(reference[name]), 1e-300)
        within = difference <= RELATIVE
        agree &= within or name == "is_std"  # the split spread is shown, not held to the bound
        print(f"{name:8} {mine[name]:>16.8g} {reference[name]:>16.8g} {difference:>14.2e}"
              f"{'' if name == 'is_std' else '  ok' if within else '  OUTSIDE ' + format(RELATIVE, 'g')}")
    return agree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="generated and real images each (10 to 1,000)")
    parser.add_argument("--weights", type=Path, help=f"the Inception weights ({INCEPTION_WEIGHTS_NAME})")
    parser.add_argument("--run", type=Path, help="a digits run folder to sample (default: train one)")
    parser.add_argument("--steps", type=int, default=300, help="generator steps of the digits run trained")
    args = parser.parse_args()
    if not 10 <= args.count <= 1000 or args.count % 10:
        parser.error("--count must be a multiple of 10 in [10, 1000] (IS's 10 equal splits; KID's subset size)")
    weights = args.weights.expanduser() if args.weights is not None else cached_weights()
    if not weights.is_file():
        print(f"no real Inception weights at {weights}: nothing to compare (put {INCEPTION_WEIGHTS_NAME} there or "
              "give --weights PATH)")
        return 0
    began = time.perf_counter()
    with torchvision_if_missing() as standin, tempfile.TemporaryDirectory() as folder:
        try:
            import torch_fidelity  # noqa: F401
        except ImportError as error:
            print(f"torch-fidelity cannot be imported ({error}): pip install torch-fidelity")
            return 1
        work = Path(folder)
        samples = sampled(args.run, args.steps, args.count, work)
        write_real_digits(work / "real", args.count)
        mine, reference = ours(samples, work / "real", weights, args.count), theirs(
            samples, work / "real", weights, args.count)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    print(f"{args.count} generated against {args.count} real 8x8 digits PNGs, Inception weights {weights}, {device}"
          f"{', stand-in torchvision' if standin else ''}, {time.perf_counter() - began:.0f} s")
    return 0 if compare(mine, reference) else 1


if __name__ == "__main__":
    sys.exit(main())
