"""Telling a file's content from a damaged or an edited one.

Two kinds of file are read back from places wganlab does not control:
- cache entries (~/.cache/wganlab): damage is the risk (a truncated write, a changed byte), so each entry carries
  digests of what it holds (`content_digest` of an array, `file_digest` of a file), checked when read;
- kept results in a results folder (`claims --resume`): anyone who can write there can edit a file and its digest
  alike, so these are `sign`ed with an HMAC-SHA256 under a key of this user's, kept outside every results folder
  (in the cache folder, readable by its owner only). A file of another machine, or of a deleted key, is simply
  not reused.
Neither kind is ever unpickled: what is read is JSON, .npy or .npz without objects.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wganlab.files import cache_folder

KEY_BYTES = 32


def content_digest(array: np.ndarray) -> str:
    """sha256 of an array's dtype, shape and bytes (the bytes hashed in place, never copied unless the array is not
    contiguous)."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape};".encode())
    digest.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))  # any dtype's bytes (big-endian too)
    return digest.hexdigest()


def hash_tensor(hasher: Any, tensor: torch.Tensor) -> None:
    """Feed a tensor's bytes (on the CPU, in C order) to `hasher`, in place where it is contiguous there: how
    checkpoints and exported generators digest their weights."""
    hasher.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks of 1 MiB (bounded memory whatever its size)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_path() -> Path:
    return cache_folder() / "keys" / "results.key"


def signing_key() -> bytes:
    """This user's key for `sign`, made on first use (0600, published whole by a hard link so that two processes
    that make it at once agree on one). OSError when the cache folder cannot hold it."""
    path = key_path()
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(secrets.token_bytes(KEY_BYTES))
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
        key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise OSError(f"{path} is not a key of {KEY_BYTES} bytes; delete it and a new one is made")
    return key


def sign(payload: bytes, key: bytes) -> str:
    """HMAC-SHA256 of `payload` under `key`, hex."""
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def signed_by(payload: bytes, signature: object, key: bytes) -> bool:
    """Whether `signature` is `sign(payload, key)` (compared in constant time). Whatever a file holds in its place
    (a number, text beyond ASCII, which hmac.compare_digest refuses) is simply not the signature."""
    if not isinstance(signature, str) or not signature.isascii():
        return False
    return hmac.compare_digest(sign(payload, key), signature)
