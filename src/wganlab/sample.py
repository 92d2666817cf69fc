"""`wganlab sample`: write N generated images of a run to a folder of PNGs or an .npz file, for other tools.

By default the images are those the run's own evaluation measures at that checkpoint (the same generator, EMA
when the run keeps one, the same seed, 8-bit): `wganlab evaluate` on the export gives the run's numbers. The
generator is `wganlab.load_generator`'s, from a run folder, a checkpoint or an exported .safetensors file, so the
same seed gives the same images in all three; the training data is not read (but by a checkpoint written before
checkpoints recorded the shape of a sample).
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wganlab.data.image_formats import unit_to_uint8
from wganlab.errors import UserError
from wganlab.files import refuse_to_replace, require_folder_of, write_atomic
from wganlab.generator import load_generator
from wganlab.machine import available_memory
from wganlab.models.portable import TrainedGenerator
from wganlab.models.sampling import generated
from wganlab.training.evaluation import GRID_IMAGES, chunk_bytes, keep_first
from wganlab.training.figures import save_grid
from wganlab.training.snapshot import usable_here
from wganlab.training.streams import EVALUATION, step_seed


@dataclass(frozen=True)
class Request:
    """What to export: how many, from which random stream, which generator, where to."""

    count: int | None = None  # None: the run's eval.image_samples
    seed: int | None = None  # None: the run's evaluation seed at the checkpoint's step
    raw: bool = False  # the trained generator itself rather than its EMA
    out: Path | None = None  # a folder (PNG files) or a .npz file
    grid: Path | None = None  # a PNG grid of the first 64
    force: bool = False  # replace an existing .npz or grid file (never a folder)
    data_root: str | None = None  # where the training data is now (read only for a checkpoint older than its shape)


def sample(target: Path, request: Request) -> tuple[TrainedGenerator, int, int]:
    """Export generated images of `target` (a run folder's latest checkpoint, a checkpoint file or an exported
    generator); returns the generator, the count and the seed used. The images are made and written a chunk at
    a time (an .npz holds them as 8-bit only); the grid keeps only its own."""
    if request.out is None and request.grid is None:
        raise UserError("nothing to write: give --out DIR or --out FILE.npz, and/or --grid FILE.png")
    if request.out is not None:
        require_folder_of(request.out)  # a new folder's too
    if request.out is not None and request.out.suffix != ".npz" and _occupied(request.out):
        raise UserError(f"{request.out} exists and is not an empty folder; give a new folder or a .npz file")
    refuse_to_replace(request.out if request.out is not None and request.out.suffix == ".npz" else None,
                      request.force)
    refuse_to_replace(request.grid, request.force)
    trained = load_generator(target, ema=not request.raw, data_root=request.data_root)
    if trained.value_range is None:
        raise UserError(f"{target} generates 2-D points, not images; a run's figures are in its figures/")
    count = request.count if request.count is not None else trained.config.eval.image_samples
    if count < 1:
        raise UserError(f"--count must be >= 1, got {count}")
    pixels = math.prod(trained.shape)
    need = (count * pixels if request.out is not None and request.out.suffix == ".npz" else 0) + chunk_bytes(pixels)
    if need > available_memory():  # the .npz's 8-bit images, and a chunk as float32, float64 and 8-bit
        raise UserError(f"--count {count} needs about {need / 2**30:.1f} GB, more than the "
                        f"{available_memory() / 2**30:.1f} GB of memory available; write a folder of PNGs, or "
                        "fewer at a time (--seed)")
    evaluation_seed = step_seed(trained.config.train.seed, trained.step, EVALUATION)
    seed = request.seed if request.seed is not None else evaluation_seed
    # made on the run's device where this machine has it, as the run's own evaluation made them
    generator, latent_dim = trained.module.to(usable_here(trained.config).train.device), trained.latent_dim
    grid: list[Tensor] = []
    if request.out is not None:  # the grid's images kept as they go by
        write_images(keep_first(GRID_IMAGES, grid, generated(generator, count, latent_dim, seed)), count, request.out)
    else:  # the grid's own, and no others (as a run's evaluation without an extractor makes them)
        grid = list(generated(generator, count, latent_dim, seed, first=GRID_IMAGES))
    if request.grid is not None:
        save_grid(request.grid, torch.cat(grid))
    return trained, count, seed


def write_images(chunks: Iterable[Tensor], count: int, out: Path) -> None:
    """`count` images [n, C, H, W] in [-1, 1], given a chunk at a time, written as `out.npz` (uint8 [N, H, W, C]
    under "images") or as a new folder of 000000.png, ...: nothing half-written."""
    pixels = (unit_to_uint8(chunk).permute(0, 2, 3, 1).numpy() for chunk in chunks)  # [n, H, W, C] each
    if out.suffix == ".npz":
        whole: np.ndarray | None = None
        filled = 0
        for part in pixels:
            whole = np.empty((count, *part.shape[1:]), np.uint8) if whole is None else whole
            whole[filled : filled + len(part)] = part
            filled += len(part)
        write_atomic(out, lambda stream: np.savez(stream, images=whole))
        return
    if _occupied(out):
        raise UserError(f"{out} exists and is not an empty folder; give a new folder or a .npz file")
    _write_folder(pixels, out)


def _occupied(out: Path) -> bool:
    return out.exists() and (not out.is_dir() or any(out.iterdir()))


def _write_folder(pixels: Iterable[np.ndarray], out: Path) -> None:
    from PIL import Image

    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        index = 0
        for part in pixels:
            for image in part:
                Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(staging / f"{index:06d}.png")
                index += 1
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def sample_command(args: argparse.Namespace) -> int:
    """`wganlab sample TARGET`: generated images written to a folder, an .npz file and/or a grid."""
    request = Request(args.count, args.seed, args.raw, args.out, args.grid, args.force, args.data_root)
    trained, count, seed = sample(args.target, request)
    generator = "EMA generator" if trained.ema else "generator"
    written = " and ".join(str(path) for path in (args.out, args.grid) if path is not None)
    print(f"wrote {count} images of {args.target} at step {trained.step} ({generator}, seed {seed}) to {written}")
    return 0
