"""`wganlab sample`: write N generated images of a run to a folder of PNGs or an .npz file, for other tools.

By default the images are those the run's own evaluation measures at that checkpoint (the same generator, EMA
when the run keeps one, the same seed, 8-bit): `wganlab evaluate` on the export gives the run's numbers.
"""

from __future__ import annotations

import argparse
import io
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import Tensor

from wganlab.data.image_formats import unit_to_uint8
from wganlab.data.toy import ToyDistribution
from wganlab.errors import UserError
from wganlab.files import write_bytes_atomic
from wganlab.machine import available_memory
from wganlab.training.checkpoint import Snapshot, load_snapshot
from wganlab.training.evaluation import generate
from wganlab.training.figures import save_grid
from wganlab.training.streams import EVALUATION, step_seed

GRID_IMAGES = 64


@dataclass(frozen=True)
class Request:
    """What to export: how many, from which random stream, which generator, where to."""

    count: int | None = None  # None: the run's eval.image_samples
    seed: int | None = None  # None: the run's evaluation seed at the checkpoint's step
    raw: bool = False  # the trained generator itself rather than its EMA
    out: Path | None = None  # a folder (PNG files) or a .npz file
    grid: Path | None = None  # a PNG grid of the first 64


def sample(target: Path, request: Request) -> tuple[Snapshot, int, int]:
    """Export generated images of the checkpoint `target` (a run folder's latest, or a file); returns the
    snapshot, the count and the seed used."""
    if request.out is None and request.grid is None:
        raise UserError("nothing to write: give --out DIR or --out FILE.npz, and/or --grid FILE.png")
    snapshot = load_snapshot(target)
    if isinstance(snapshot.dataset, ToyDistribution):
        raise UserError(f"{snapshot.folder} generates 2-D points, not images; its figures are in figures/")
    count = request.count if request.count is not None else snapshot.config.eval.image_samples
    if count < 1:
        raise UserError(f"--count must be >= 1, got {count}")
    need = count * math.prod(snapshot.dataset.shape) * 5  # float32 images and their 8-bit copy
    if need > available_memory():
        raise UserError(f"--count {count} needs about {need / 2**30:.1f} GB, more than the "
                        f"{available_memory() / 2**30:.1f} GB of memory available; write fewer at a time (--seed)")
    evaluation_seed = step_seed(snapshot.config.train.seed, snapshot.step, EVALUATION)
    seed = request.seed if request.seed is not None else evaluation_seed
    generator = snapshot.generator if request.raw else snapshot.sampler
    images = generate(generator, count, snapshot.config.model.latent_dim, seed)  # [N, C, H, W] on the CPU
    if request.out is not None:
        write_images(images, request.out)
    if request.grid is not None:
        _check_parent(request.grid)
        save_grid(request.grid, images[:GRID_IMAGES])
    return snapshot, count, seed


def write_images(images: Tensor, out: Path) -> None:
    """`out.npz`: uint8 [N, H, W, C] under "images"; otherwise a new folder of 000000.png, ... Nothing half-written."""
    pixels = unit_to_uint8(images).permute(0, 2, 3, 1).numpy()  # [N, H, W, C]
    _check_parent(out)
    if out.suffix == ".npz":
        buffer = io.BytesIO()
        np.savez(buffer, images=pixels)
        write_bytes_atomic(out, buffer.getvalue())
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not an empty folder; give a new folder or a .npz file")
    _write_folder(pixels, out)


def _write_folder(pixels: np.ndarray, out: Path) -> None:
    from PIL import Image

    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for index, image in enumerate(pixels):
            Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(staging / f"{index:06d}.png")
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_parent(path: Path) -> None:
    if not path.parent.is_dir():
        raise UserError(f"cannot write {path}: its folder {path.parent} does not exist")


def sample_command(args: argparse.Namespace) -> int:
    """`wganlab sample TARGET`: generated images written to a folder, an .npz file and/or a grid."""
    request = Request(args.count, args.seed, args.raw, args.out, args.grid)
    snapshot, count, seed = sample(args.target, request)
    generator = "generator" if args.raw or snapshot.generator_ema is None else "EMA generator"
    written = " and ".join(str(path) for path in (args.out, args.grid) if path is not None)
    print(f"wrote {count} images of {snapshot.folder} at step {snapshot.step} ({generator}, seed {seed}) to {written}")
    return 0
