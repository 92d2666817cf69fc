"""Files written whole or not at all: a temporary file in the same folder, fsync, then a rename over the target.

A crash (or a kill) mid-write leaves the previous file intact; readers never see half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # what open() would give; mkstemp alone gives 0600


def cache_folder() -> Path:
    """Where wganlab keeps what it can recompute (decoded images, real features): $WGANLAB_CACHE or
    ~/.cache/wganlab."""
    return Path(os.environ.get("WGANLAB_CACHE", Path.home() / ".cache" / "wganlab")).expanduser()


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
