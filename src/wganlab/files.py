"""Files written whole or not at all: a temporary file in the same folder, fsync, then a rename over the target.

A crash (or a kill) mid-write leaves the previous file intact; readers never see half a file. A file the user
already has is replaced only when they ask (`refuse_to_replace`), and what torch wrote is read without
unpickling anything but tensors and plain values (`load_tensors`).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from wganlab.errors import UserError, one_line

_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # what open() would give; mkstemp alone gives 0600


def cache_folder() -> Path:
    """Where wganlab keeps what it can recompute (decoded images, real features): $WGANLAB_CACHE or
    ~/.cache/wganlab."""
    return Path(os.environ.get("WGANLAB_CACHE", Path.home() / ".cache" / "wganlab")).expanduser()


def require_folder_of(path: Path) -> None:
    """One line unless the folder `path` would be written in exists."""
    if not path.parent.is_dir():
        raise UserError(f"cannot write {path}: its folder {path.parent} does not exist")


def refuse_to_replace(path: Path | None, force: bool) -> None:
    """Whether a command may write the file `path` (None: no file): one line unless its folder exists and it is
    new, or `force` (the commands' --force) is given, for no command replaces a file the user already has unless
    asked. Call it before any work, so a refusal writes nothing."""
    if path is not None:
        require_folder_of(path)
    if path is not None and path.is_dir():
        raise UserError(f"{path} is a folder: give the path of a file")
    if path is not None and not force and (path.exists() or path.is_symlink()):
        raise UserError(f"{path} exists: pass --force to replace it, or give a new path")


def load_tensors(source: Path | BinaryIO) -> Any:
    """What torch.save wrote, read with `weights_only=True` (tensors and plain values: nothing in the file can run
    code), onto the CPU and with torch's warnings silenced. Any failure is a ValueError of one line saying why:
    never torch's own advice to load the file with weights_only=False, which runs whatever code a pickle holds."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(source, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file makes the unpickler raise almost anything  # noqa: BLE001
        raise ValueError(_load_failure(str(error)) or type(error).__name__) from None


def _load_failure(text: str) -> str:
    """torch's reason in a few words: what its weights-only unpickler met, without its advice around it."""
    if "Unsupported global" in text:
        return "it holds Python objects besides tensors and plain values, which wganlab never unpickles"
    if "WeightsUnpickler error:" in text:  # the unpickler's own complaint, e.g. "Unsupported operand 103"
        complaint = text.split("WeightsUnpickler error:", 1)[1].strip().split("\n")[0]
        return f"not a file torch wrote: {' '.join(complaint.split()[:12])}"
    if "weights_only" in text or "Weights only" in text:  # whatever else it says, never its advice
        return "torch's weights-only reader refused it"
    return one_line(text, limit=300)


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Let `write` fill a file that then becomes `path` atomically (same folder, fsync, os.replace): for contents
    too large to build in memory first (an .npz written by numpy straight into the file)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w+b") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (same folder, fsync, os.replace)."""

    def write(stream: BinaryIO) -> None:
        stream.write(data)

    write_atomic(path, write)


def write_json_atomic(path: Path, value: Any) -> None:
    """Indented JSON (NaN and infinities allowed, as Python's json writes them), atomically."""
    write_bytes_atomic(path, (json.dumps(value, indent=2, allow_nan=True) + "\n").encode())


def parse_json(text: str | bytes) -> Any:
    """json.loads, where JSON nested too deeply to parse is a ValueError like any other malformed JSON (json itself
    raises RecursionError, which no reader of a damaged or crafted file expects)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("its JSON is nested too deeply to read") from None


# what opening an .npz (open_npz) and reading its arrays raise for a damaged or crafted file: a truncated member is
# EOFError or ValueError, a bad checksum BadZipFile, a damaged compressed member zlib.error
NPZ_DAMAGE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def open_npz(path: Path) -> Any:
    """The .npz archive `path` (a numpy NpzFile, for a `with`), read without unpickling anything. A file that is no
    zip archive (an .npy array renamed .npz, an empty or truncated file) is a ValueError before any of it is read,
    as a pickle is; a damaged archive raises one of NPZ_DAMAGE."""
    import numpy as np

    with open(path, "rb") as stream:  # a missing file stays an OSError
        if not zipfile.is_zipfile(stream):
            raise ValueError("it is not an .npz archive (it has no zip directory)")
    loaded = np.load(path, allow_pickle=False)
    # numpy tells the format from the first bytes: an array with a zip directory after it (crafted) is read whole
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"it is not an .npz archive (it holds a single {type(loaded).__name__})")
    return loaded


def npy_header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], Any]:
    """The shape and dtype that array `name` of an open .npz archive declares in its .npy header, its data not read
    (so a crafted header asks for no allocation); KeyError for no such array, ValueError for a malformed header or
    format 3.0 (which numpy writes only for non-Latin-1 field names)."""
    import numpy as np

    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    with archive.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        if version not in readers:
            raise ValueError(f"its {name} is stored in .npy format {version[0]}.{version[1]}")
        shape, _, dtype = readers[version](member)
    return tuple(shape), dtype
