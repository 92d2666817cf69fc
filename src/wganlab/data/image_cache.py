"""Decoded image folders kept on disk as memory-mapped uint8 arrays, so a folder is decoded once and a data set
larger than memory trains in bounded memory (the operating system pages in the batches it reads).

An entry is keyed by the content of every file (its blake2b digest and path) and by the transform and Pillow
version that decoded it, and carries the sha256 of its own files, checked whenever it is opened: an entry whose
pixels or labels changed after it was written is reported in one line, removed and decoded again (the check reads
the entry once, at disk speed: docs/benchmarks.md). Finding it needs no reading of the source images: an index
per folder and transform names the entry with each file's size and modification time; only when those differ are
the files read again, to learn whether their content changed. Entries are written in a temporary folder and
renamed into place whole, so a killed process leaves nothing half-written; a damaged entry is decoded again, and
an entry that cannot be finished (a full disk) is skipped with one line, the run going on from memory.
Where: $WGANLAB_CACHE/images (default ~/.cache/wganlab/images); delete the folder to reclaim the space.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import PIL

from wganlab.data.image_folder import Listing, decode_into, file_digests, list_folder, output_layout
from wganlab.data.transforms import Transform
from wganlab.errors import UserError
from wganlab.files import cache_folder, parse_json, write_json_atomic
from wganlab.integrity import file_digest
from wganlab.machine import available_memory

FORMAT = "wganlab-images-2"  # 2: EXIF orientation applied
KEY_LENGTH = 32  # hex digits of an entry's key
_KEY = re.compile(f"[0-9a-f]{{{KEY_LENGTH}}}")  # the form `content_key` makes
_MEMORY_SHARE = 0.5  # without a cache folder, decode into memory only up to this share of the free memory


@dataclass(frozen=True)
class Decoded:
    """A decoded folder: uint8 pixels [N, C, H, W] (memory-mapped when cached), labels, and the content key."""

    pixels: np.ndarray
    labels: np.ndarray | None
    key: str


def images_folder() -> Path:
    return cache_folder() / "images"


def _recipe(transform: Transform) -> dict[str, Any]:
    return {"format": FORMAT, "pillow": PIL.__version__, "crop": transform.crop, "resize": transform.resize,
            "filter": transform.resize_filter, "pad_to": transform.pad_to}


def content_key(listing: Listing, digests: list[str], transform: Transform) -> str:
    digest = hashlib.sha256(json.dumps(_recipe(transform), sort_keys=True).encode())
    for (relative, _, _), each in zip(listing.stats, digests, strict=True):
        digest.update(f"{relative}\0{each}\n".encode())
    return digest.hexdigest()[:KEY_LENGTH]


def _index_path(listing: Listing, transform: Transform) -> Path:
    where = json.dumps([str(listing.root.resolve()), _recipe(transform)], sort_keys=True)
    return images_folder() / "index" / f"{hashlib.sha256(where.encode()).hexdigest()[:32]}.json"


def find(listing: Listing, transform: Transform, progress: bool = True) -> Decoded | None:
    """The cached decoding of this folder under this transform, or None (decode it)."""
    index = _index_path(listing, transform)
    stats = [list(s) for s in listing.stats]
    try:
        remembered = parse_json(index.read_text())
        key, files = remembered["key"], remembered["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # never decoded from here: decoding reads every file anyway, so do not read them twice
    if files == stats:
        entry = _open(key)  # the files are as they were when decoded
    else:  # files were touched, copied or changed since: their content decides
        entry = _open(content_key(listing, file_digests(listing, progress), transform))
        if entry is not None:
            _remember(index, entry.key, listing)
    return entry


def _open(key: str, digested: bool = False) -> Decoded | None:
    """An entry, or None when it is missing or fails its checks (then one line says why and it is removed): the
    shape and dtype it promises, and the digest of its files' bytes (unless this process has just `digested` them,
    writing the entry). A key not of the form `content_key` makes (an index edited to name a path elsewhere) is
    no entry: nothing outside the cache is read or removed."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):  # 32 lowercase hex digits, never a path elsewhere
        return None
    folder = images_folder() / key
    if not folder.is_dir():
        return None
    try:
        meta = parse_json((folder / "meta.json").read_text())
        if not isinstance(meta.get("digests"), dict):
            raise ValueError("it holds no digest: written by an older wganlab")
        digests = meta["digests"] if digested else _digests(folder, meta["labelled"])
        if digests != meta["digests"]:
            changed = ", ".join(name for name in digests if digests[name] != meta["digests"].get(name))
            raise ValueError(f"{changed} changed since it was written: the digest does not match")
        pixels = np.load(folder / "pixels.npy", mmap_mode="c")  # copy-on-write: never written back
        labels = np.load(folder / "labels.npy", allow_pickle=False) if meta["labelled"] else None
        if list(pixels.shape) != meta["shape"] or pixels.dtype != np.uint8:
            raise ValueError(f"pixels are {pixels.dtype} {list(pixels.shape)}, the entry says {meta['shape']}")
        if labels is not None and labels.shape != (len(pixels),):
            raise ValueError("labels do not match the images")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError) as error:  # meta not a table too
        print(f"image cache entry {folder} is damaged ({error}); decoding again", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Decoded(pixels, labels, key)


def _digests(folder: Path, labelled: bool) -> dict[str, str]:
    """The sha256 of each file of an entry: its pixels, and its labels when it has them."""
    return {name: file_digest(folder / name) for name in ("pixels.npy", *(("labels.npy",) if labelled else ()))}


def _remember(index: Path, key: str, listing: Listing) -> None:
    """Note which entry this folder's files (as the file system describes them now) decode to."""
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(index, {"key": key, "root": str(listing.root), "files": [list(s) for s in listing.stats]})
    except OSError:
        pass  # the index only saves reading the files next time


class Writer:
    """A new entry being written: `out` is the memory-mapped pixel array to decode into; `commit` publishes it."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        root = images_folder()
        root.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(root)
        self.folder = root / f".tmp-{os.getpid()}-{os.urandom(4).hex()}"
        self.folder.mkdir()
        try:
            path = self.folder / "pixels.npy"
            self.out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
            with path.open("r+b") as file:  # claim the space now: a full disk is an error here, not a crash later
                os.posix_fallocate(file.fileno(), 0, path.stat().st_size)
        except BaseException:
            self.discard()
            raise

    def commit(self, listing: Listing, digests: list[str], transform: Transform) -> Decoded:
        """Flush, record what was decoded (with the digests of its files), and rename the entry into place (or use
        the one another process finished first). An entry that cannot be finished (a full disk) is skipped with one
        line, and the decoded images go on from memory."""
        key = content_key(listing, digests, transform)
        labels = listing.labels
        try:
            self.out.flush()
            if labels is not None:
                np.save(self.folder / "labels.npy", labels)
            meta = {"key": key, "root": str(listing.root), "shape": list(self.out.shape),
                    "labelled": labels is not None, "transform": transform.describe(),
                    "digests": _digests(self.folder, labels is not None), **_recipe(transform)}
            write_json_atomic(self.folder / "meta.json", meta)
        except OSError as error:
            return self._in_memory(key, labels, error)
        del self.out
        target = images_folder() / key
        try:
            os.rename(self.folder, target)
            ours = True
        except OSError:
            if not target.is_dir():
                raise
            self.discard()  # another process decoded the same folder first: its entry is checked as any other
            ours = False
        _remember(_index_path(listing, transform), key, listing)
        entry = _open(key, digested=ours)
        if entry is None:
            raise UserError(f"the image cache entry {target} could not be read back; check the disk")
        return entry

    def _in_memory(self, key: str, labels: np.ndarray | None, error: OSError) -> Decoded:
        """The decoded images copied to memory (when they fit), the unfinished entry removed."""
        reason = f"cannot finish the image cache entry in {images_folder()} ({error.strerror or error})"
        try:
            _refuse_unless_in_memory(self.out.nbytes, reason)
        except UserError:
            self.discard()
            raise
        pixels = np.array(self.out)
        del self.out
        self.discard()
        print(f"{reason}; going on from memory (set WGANLAB_CACHE to a folder with room to keep them)",
              file=sys.stderr)
        return Decoded(pixels, labels, key)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove_abandoned(root: Path) -> None:
    """Temporary entries of processes that no longer run (killed mid-decoding)."""
    for folder in root.glob(".tmp-*"):
        try:
            os.kill(int(folder.name.split("-")[1]), 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's


def _refuse_unless_in_memory(size: int, reason: str) -> None:
    """Decoded images of `size` bytes go on in memory when they fit a share of it; else one line: `reason` and
    the fix."""
    if size > _MEMORY_SHARE * available_memory():
        raise UserError(f"{reason}, and the {size / 2**20:,.0f} MB of decoded images would not fit in memory: free "
                        "space there or set WGANLAB_CACHE to a folder with room")


def writer_or_memory(shape: tuple[int, ...], where: Path) -> tuple[Writer | None, np.ndarray]:
    """A cache writer and its array; without a usable cache folder, an array in memory when it fits (a line
    says why), else a UserError naming the problem and the fix."""
    try:
        writer = Writer(shape)
        return writer, writer.out
    except OSError as error:
        reason = f"cannot write the image cache in {images_folder()} ({error.strerror or error})"
        _refuse_unless_in_memory(int(np.prod(shape)), f"{reason} for the images of {where}")
        print(f"{reason}; decoding into memory (set WGANLAB_CACHE to a writable folder to keep them)", file=sys.stderr)
        return None, np.empty(shape, dtype=np.uint8)


def decode_folder(root: Path, transform: Transform, *, cache: bool = True, progress: bool = True) -> Decoded:
    """Every image under `root` as uint8 [N, C, H, W] after `transform`: from the cache when it holds them, else
    decoded in parallel (into the cache, or with cache=False into memory)."""
    listing = list_folder(root)
    if cache and (found := find(listing, transform, progress)) is not None:
        return found
    mode, shape = output_layout(listing, transform)
    full_shape = (len(listing.paths), *shape)
    writer, out = writer_or_memory(full_shape, root) if cache else (None, np.empty(full_shape, dtype=np.uint8))
    try:
        digests = decode_into(out, listing, mode, transform, progress)
        if writer is None:
            return Decoded(out, listing.labels, content_key(listing, digests, transform))
        return writer.commit(listing, digests, transform)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
