"""End to end: PNGs written by `wganlab sample`, scored by `wganlab evaluate` and by torch-fidelity's
calculate_metrics on the same files, give the same FID, KID and IS (to 1e-3 relative).

Both load the same random-weight Inception stand-in (tests/inception_standin.py) from one weights file, so nothing
is downloaded; the numbers mean nothing as image quality, only as the two computations agreeing. The protocol is
set so both compute the same quantity: N generated and N real images with kid_subset_size=N (every KID subset is
then the whole set, whatever either side's RNG draws), IS in 10 splits in file order (samples_shuffle=False; N a
multiple of 10), and the file order both read is checked to be the same.

torch-fidelity's package imports torchvision at top level, which cannot be imported beside a CPU torch from PyPI
(and CI installs torch-fidelity with --no-deps): where `import torchvision` fails, a minimal stand-in torchvision
(transforms.Compose and transforms.functional.pil_to_tensor as torchvision implements them, inert dataset
classes) sits in sys.modules for this test only, and the torchvision and torch_fidelity modules imported under
it are removed afterwards (tests/inception_standin.py, torchvision_if_missing). Skipped when torch-fidelity is not
installed. `pytest -s` shows both sets of numbers.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threadpoolctl import threadpool_limits

from tests.inception_standin import torchvision_if_missing, write_standin
from tests.tiny import DIGITS
from wganlab import cli
from wganlab.data.image_folder import list_folder

N = 20  # generated and real images each: a multiple of IS's 10 splits, and KID's subset size on both sides
STEPS = 300  # a tiny digits run's generator steps (about a second): its samples differ (a 2-step run's are all grey)
RELATIVE = 1e-3


def trained_run(outdir: Path) -> Path:
    """A tiny digits run (tests.tiny.DIGITS) trained for STEPS generator steps."""
    assert cli.main(["train", *DIGITS, "--steps", str(STEPS), "--outdir", str(outdir)]) == 0
    (run,) = outdir.iterdir()
    return run


def write_real_digits(folder: Path, count: int) -> None:
    """The first `count` scikit-learn digits as 8x8 grayscale PNGs (0..16 scaled to 0..255), named as `sample`
    names its files."""
    from sklearn.datasets import load_digits

    folder.mkdir()
    pixels = np.rint(load_digits().images[:count] / 16.0 * 255.0).astype(np.uint8)  # [count, 8, 8]
    for index, image in enumerate(pixels):
        Image.fromarray(image, mode="L").save(folder / f"{index:06d}.png")


def ours(samples: Path, real: Path, weights: Path, capsys) -> dict[str, float]:
    """`wganlab evaluate`'s printed FID, KID and IS ("  key = value" lines after the title and headline)."""
    capsys.readouterr()
    code = cli.main(["evaluate", str(samples), "--data", "folder", "--root", str(real), "--extractor", "inception",
                     "--extractor-weights", str(weights), "--metrics", "fid,kid,is"])
    assert code == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.splitlines()[2:]
    printed = {key.strip(): float(value) for key, value in (line.split(" = ") for line in lines)}
    return {name: printed[f"{name}_{N}"] for name in ("fid", "kid", "kid_std", "is", "is_std")}


def theirs(samples: Path, real: Path, weights: Path) -> dict[str, float]:
    """torch-fidelity's calculate_metrics on the same folders, with the protocol set to ours (see the docstring)."""
    import torch_fidelity

    metrics = torch_fidelity.calculate_metrics(
        input1=str(samples), input2=str(real), fid=True, kid=True, isc=True,
        feature_extractor="inception-v3-compat", feature_extractor_weights_path=str(weights),
        kid_subset_size=N, isc_splits=10, samples_shuffle=False,
        cuda=False, cache=False, verbose=False, save_cpu_ram=True,  # save_cpu_ram: no DataLoader worker processes
    )
    names = {"fid": "frechet_inception_distance", "kid": "kernel_inception_distance_mean",
             "kid_std": "kernel_inception_distance_std", "is": "inception_score_mean", "is_std": "inception_score_std"}
    return {name: float(metrics[key]) for name, key in names.items()}


def same_file_order(folder: Path) -> bool:
    """torch-fidelity's glob of the folder lists the files in our folder loader's order."""
    from torch_fidelity.utils import glob_samples_paths

    globbed = glob_samples_paths(str(folder), samples_find_deep=False, samples_find_ext="png", verbose=False)
    return [Path(path).name for path in globbed] == [path.name for path in list_folder(folder).paths]


def test_evaluate_and_torch_fidelity_agree_on_the_same_png_files(tmp_path, capsys):
    began = time.perf_counter()
    # BLAS on one thread: the 2048x2048 eigen-decompositions of FID took 10x longer on two OpenBLAS threads while
    # another process held one of two cores (30 s instead of 3 s)
    with torchvision_if_missing() as standin, threadpool_limits(1, user_api="blas"):
        try:
            import torch_fidelity  # noqa: F401
        except ImportError as error:
            pytest.skip(f"torch-fidelity cannot be imported: {error}")
        weights = tmp_path / "inception-standin.pth"
        write_standin(weights)
        samples, real = tmp_path / "samples", tmp_path / "real"
        run = trained_run(tmp_path / "runs")
        assert cli.main(["sample", str(run), "--count", str(N), "--out", str(samples)]) == 0
        write_real_digits(real, N)
        assert same_file_order(samples) and same_file_order(real)
        mine, reference = ours(samples, real, weights, capsys), theirs(samples, real, weights)
    assert not standin or "torchvision" not in sys.modules  # the stand-in was for this test only
    with capsys.disabled():  # capsys holds what is printed even under -s
        print(f"\n{N} generated against {N} real 8x8 digits PNGs, random-weight Inception"
              f"{' (stand-in torchvision)' if standin else ''}, {time.perf_counter() - began:.1f} s")
        for name in mine:
            print(f"  {name:8} wganlab {mine[name]:<12.6g} torch-fidelity {reference[name]:.6g}")
    assert mine["fid"] > 1.0 and mine["kid"] > 1e-3 and mine["is"] > 1.05  # not degenerate: a difference can show
    for numbers in (mine, reference):  # every KID subset was the whole set: the spread is float rounding alone
        assert numbers["kid_std"] <= 1e-5 * numbers["kid"]
    for name in ("fid", "kid", "is"):
        assert mine[name] == pytest.approx(reference[name], rel=RELATIVE), f"{name}: {mine[name]}, {reference[name]}"
