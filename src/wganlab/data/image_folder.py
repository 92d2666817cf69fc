"""A folder of PNG/JPEG images, decoded once, in parallel, into one uint8 array [N, C, H, W].

Each image is decoded, cropped and resized on its own and written straight into the output (a memory-mapped
cache file, see image_cache.py, or memory), so memory while decoding grows with the output, never with the
full-resolution input. Pillow releases the GIL while it decodes and resizes, so threads decode in parallel.
A photo's EXIF orientation is applied (as image viewers do), so a camera's portrait shots come out upright.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm import tqdm

from wganlab.data.transforms import Transform, channels_first
from wganlab.errors import UserError, one_line

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
_GRAYSCALE_MODES = {"1", "L", "LA", "I;16", "I;16L", "I;16B"}
_WIDE_MODES = {"I", "F"}  # 32-bit pixels: no one range to read them in
_ORIENTATION = 0x0112  # the EXIF tag: how the stored pixels must be turned or mirrored to stand upright
_QUARTER_TURNS = {5, 6, 7, 8}  # orientations that turn the picture a quarter: its width and height swap
_CHUNK = 64  # images per task: large enough to amortise scheduling, small enough to keep every thread busy


@dataclass(frozen=True)
class Listing:
    """The images under a folder, sorted by path, with what the file system says of each (size, mtime)."""

    root: Path
    paths: list[Path]
    stats: list[tuple[str, int, int]]  # (path relative to root, size in bytes, modification time in ns)

    @property
    def labels(self) -> np.ndarray | None:
        """Index of each image's class folder when every image sits in a direct subfolder of root, else None."""
        parents = [Path(relative).parent for relative, _, _ in self.stats]
        if any(len(parent.parts) != 1 for parent in parents):
            return None
        classes = {name: i for i, name in enumerate(sorted({parent.name for parent in parents}))}
        return np.array([classes[parent.name] for parent in parents], dtype=np.int64)


def list_folder(root: Path) -> Listing:
    """Every image file under `root` (any depth; hidden files and folders, such as macOS's ._name.jpg, skipped),
    sorted; UserError if there is no folder or no image."""
    if not root.is_dir():
        raise UserError(f"image folder {root} does not exist or is not a folder")
    paths = sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.is_file()
    )
    if not paths:
        kinds = ", ".join(sorted(SUFFIXES))
        raise UserError(f"no images ({kinds}) found under {root} (put the training images there)")
    stats = []
    for path in paths:
        status = path.stat()
        stats.append((path.relative_to(root).as_posix(), status.st_size, status.st_mtime_ns))
    return Listing(root, paths, stats)


def _open_error(path: Path, error: Exception) -> UserError:
    return UserError(f"cannot read image {path}: {one_line(error)} (fix or remove the file)")


def _eight_bit(image: Image.Image, path: Path) -> Image.Image:
    """16-bit grayscale scaled to 8 bits (Pillow's own conversion would clip it at 255); 32-bit refused."""
    if image.mode.startswith("I;16"):
        pixels = np.asarray(image, dtype=np.float64) / 257.0  # 65535 -> 255
        return Image.fromarray(np.rint(pixels).astype(np.uint8))
    if image.mode in _WIDE_MODES:
        raise UserError(f"{path} has 32-bit pixels (mode {image.mode}), whose range is unknown: save it as an "
                        "8- or 16-bit PNG")
    return image


def _orientation(image: Image.Image) -> int:
    """The image's EXIF orientation (1, upright, when it has none or an unreadable one)."""
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except (TypeError, ValueError):  # a malformed tag: show the pixels as stored, as viewers do
        return 1


def _upright(image: Image.Image) -> Image.Image:
    """The image turned and mirrored as its EXIF orientation says (itself when there is nothing to do)."""
    return ImageOps.exif_transpose(image) if _orientation(image) in range(2, 9) else image


def _header(path: Path) -> tuple[str, tuple[int, int]]:
    try:
        with Image.open(path) as image:
            width, height = image.size
            return image.mode, (height, width) if _orientation(image) in _QUARTER_TURNS else (width, height)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise _open_error(path, error) from error


def output_layout(listing: Listing, transform: Transform) -> tuple[str, tuple[int, int, int]]:
    """From the headers alone: the colour mode ("L" when every image is grayscale, else "RGB") and the output
    (C, H, W); UserError when the images would come out in different sizes."""
    with _pillow_quiet():
        headers = list(_pool().map(_header, listing.paths, chunksize=_CHUNK))
    sizes = [transform.output_size(width, height, str(listing.root)) for _, (width, height) in headers]
    if len(set(sizes)) > 1:
        other = next(i for i, size in enumerate(sizes) if size != sizes[0])
        (w0, h0), (w1, h1) = headers[0][1], headers[other][1]
        raise UserError(
            f"images differ in size: {listing.paths[0]} is {w0}x{h0} but {listing.paths[other]} is {w1}x{h1} "
            "(width x height); set data.resize (and data.crop for a centre square) to bring them to one size"
        )
    mode = "L" if all(m in _GRAYSCALE_MODES for m, _ in headers) else "RGB"
    width, height = sizes[0]
    return mode, (1 if mode == "L" else 3, height, width)


def decode_into(
    out: np.ndarray, listing: Listing, mode: str, transform: Transform, progress: bool = True
) -> list[str]:
    """Decode, transform and write every image into `out` [N, C, H, W] uint8; the content digest of each file."""
    digests = [""] * len(listing.paths)

    def decode(start: int) -> int:
        for index in range(start, min(start + _CHUNK, len(listing.paths))):
            path = listing.paths[index]
            try:
                data = path.read_bytes()
                digests[index] = _bytes_digest(data)
                with Image.open(io.BytesIO(data)) as image:  # one read serves the digest and the decoder
                    upright = _eight_bit(_upright(image), path).convert(mode)
                    pixels = channels_first(transform.crop_and_resize(upright))
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
                raise _open_error(path, error) from error
            out[index] = transform.pad(pixels, 0)
        return min(_CHUNK, len(listing.paths) - start)

    with _pillow_quiet():
        _in_parallel(decode, len(listing.paths), f"decoding {len(listing.paths):,} images from {listing.root}",
                     progress)
    return digests


@contextlib.contextmanager
def _pillow_quiet() -> Iterator[None]:
    """Pillow's warnings silenced while the decoding threads run (this thread holds the filter until they end; the
    filter is the process's, so it applies to other threads meanwhile too, which is why it names Pillow's warnings
    only, and every other warning goes on): an image that decodes is used as it is (a photo over Pillow's
    89-million-pixel decompression-bomb warning, a malformed EXIF block), and one that does not is one line (twice
    that size is Pillow's DecompressionBombError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", module=r"PIL(\.|$)")  # EXIF and the like, warned from Pillow's modules
        yield


def _bytes_digest(data: bytes) -> str:
    """A file's content digest, as `decode_into` and `file_digests` give it: 32 hex digits of blake2b."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digests(listing: Listing, progress: bool = True) -> list[str]:
    """The content digest of every file (as `decode_into` gives), read in parallel."""
    digests = [""] * len(listing.paths)

    def digest(start: int) -> int:
        for index in range(start, min(start + _CHUNK, len(listing.paths))):
            digests[index] = _bytes_digest(listing.paths[index].read_bytes())
        return min(_CHUNK, len(listing.paths) - start)

    _in_parallel(digest, len(listing.paths), f"checking {len(listing.paths):,} changed files in {listing.root}",
                 progress)
    return digests


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_workers())


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _in_parallel(task: Callable[[int], int], count: int, what: str, progress: bool) -> None:
    """Run task(start) for every chunk start, on all cores, with (on a terminal) a line at the start and a progress
    bar, and a line at the end on stderr (so a log shows it too; a failure is then the one line on stderr)."""
    began = time.perf_counter()
    if progress and sys.stderr.isatty():
        print(f"{what} ({_workers()} threads) ...", file=sys.stderr, flush=True)
    starts: Sequence[int] = range(0, count, _CHUNK)
    bar = tqdm(total=count, unit="img", disable=True if not progress else None, file=sys.stderr)  # None: a tty only
    with _pool() as pool, bar:
        pending = {pool.submit(task, start) for start in starts}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()  # a bad file stops the decoding now, not after every other image
                    raise future.exception()  # type: ignore[misc]
                bar.update(future.result())
    if progress:
        print(f"{what}: done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
