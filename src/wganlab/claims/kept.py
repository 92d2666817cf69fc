"""Each finished claim's result, kept on disk until the report is written: a run that is stopped or dies loses
only the claim it was in, and the same command with --resume reuses the others.

A results folder is not a trusted place, so nothing read from it can run and nothing edited there is reported:
a kept result is JSON (never a pickle), decoded field by field into the result's own types, and signed
(integrity.sign, this user's key) over the result, the seeds, the size and the code that made it, and the bytes of
its figures. It is reused only when the signature holds, its figures are as they were written, and the seeds, size
and code are this run's; otherwise the claim runs again, and one line says why.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wganlab import integrity
from wganlab.claims.context import ClaimContext
from wganlab.claims.result import Claim, ClaimResult, Pooled, SeedOutcome, Table
from wganlab.files import parse_json, write_json_atomic

FORMAT = "wganlab-claim-result-1"
OLD_SUFFIX = ".pickle"  # kept by wganlab before FORMAT: never read (a pickle can run code), run again


@functools.cache
def code_digest() -> str:
    """A digest of wganlab's own source (read once per process): a kept result is reused only by the code that
    computed it."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def encode(result: ClaimResult) -> dict[str, Any]:
    """The result as JSON values (tuples as lists, paths as text, NumPy scalars as Python numbers)."""
    return _plain(dataclasses.asdict(result))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # a NumPy or torch scalar
        return value.item()
    return value


def decode(value: dict[str, Any]) -> ClaimResult:
    """`encode`'s inverse: every field rebuilt by name into its own type (KeyError or TypeError when one is missing
    or of another shape)."""
    def pooled(item: dict[str, Any] | None) -> Pooled | None:
        return None if item is None else Pooled(item["verdict"], dict(item["numbers"]), dict(item["checks"]))

    return ClaimResult(
        claim=Claim(**value["claim"]),
        protocol=str(value["protocol"]),
        rule=str(value["rule"]),
        outcomes=tuple(SeedOutcome(int(o["seed"]), o["verdict"], dict(o["numbers"]), dict(o["checks"]))
                       for o in value["outcomes"]),
        tables=tuple(Table(tuple(t["headers"]), tuple(tuple(row) for row in t["rows"])) for t in value["tables"]),
        figures=tuple(Path(path) for path in value["figures"]),
        notes=str(value["notes"]),
        seconds=float(value["seconds"]),
        extra=dict(value["extra"]),
        pooled=pooled(value["pooled"]),
    )


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes a signature covers: sorted keys, no spaces (floats as Python writes them, which reads back equal)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True).encode()


def provenance(context: ClaimContext) -> dict[str, object]:
    """What made a result, which a kept one must share to be reused: the seeds, the size and the code."""
    return {"seeds": list(context.seeds), "quick": context.quick, "code": code_digest()}


def _figure_digests(figures: Sequence[str]) -> dict[str, str]:
    return {path: integrity.file_digest(Path(path)) for path in figures}


@dataclasses.dataclass(frozen=True)
class Finished:
    """Where each finished claim's result is kept until the report is written (OUT/claims/finished), and whether
    this run reuses what an earlier one kept there (--resume)."""

    folder: Path
    resume: bool

    def path(self, number: int) -> Path:
        return self.folder / f"claim-{number:02d}.json"

    def keep(self, result: ClaimResult, context: ClaimContext) -> None:
        """Keep `result`, signed; when no key can be had, one line says --resume will run it again."""
        try:
            key = integrity.signing_key()
        except OSError as error:
            context.log(f"    claim {result.number}'s result is not kept for --resume: no signing key in "
                        f"{integrity.key_path().parent} ({error})")
            return
        encoded = encode(result)
        body = {"format": FORMAT, "made_by": provenance(context), "result": encoded,
                "figures": _figure_digests(encoded["figures"])}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path(result.number), {"body": body, "signature": integrity.sign(canonical(body), key)})

    def kept(self, number: int, context: ClaimContext) -> ClaimResult | None:
        """The result an earlier run kept for this claim, if --resume and it is sound and this run's; else None (and
        a line why, when there was one to reuse)."""
        path = self.path(number)
        if not self.resume:
            return None
        if not path.is_file():
            if path.with_suffix(OLD_SUFFIX).is_file():
                context.log(f"    {path.with_suffix(OLD_SUFFIX)} was kept by an older wganlab as a pickle, which is "
                            f"never read (it could run code); running claim {number}")
            return None
        found = self._read(path, number, context)
        if isinstance(found, str):
            context.log(f"    the kept result {path} {found}; running claim {number}")
            return None
        return found

    def _read(self, path: Path, number: int, context: ClaimContext) -> ClaimResult | str:
        """The kept result, or why it cannot be reused."""
        try:
            saved = parse_json(path.read_text())
            body, signature = saved["body"], saved["signature"]
            payload = canonical(body)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            return f"cannot be read ({type(error).__name__})"
        try:
            key = integrity.signing_key()
        except OSError as error:
            return f"cannot be checked: no signing key ({error})"
        if not integrity.signed_by(payload, signature, key):
            return "is not as this user's wganlab wrote it (edited since, or kept by another user or machine)"
        if body.get("format") != FORMAT:
            return f"is of another format ({body.get('format')!r}, this wganlab reads {FORMAT!r})"
        if body["made_by"] != provenance(context):
            return "is of other seeds, sizes or code"
        try:
            figures = _figure_digests(list(body["figures"]))
        except OSError:
            return "names a figure that is no longer there"
        if figures != body["figures"]:
            return "names a figure that was changed after the claim drew it"
        result = decode(body["result"])
        if result.number != number:
            return f"holds claim {result.number}"
        return result

    def any_kept(self) -> bool:
        return any(self.folder.glob("claim-*.json"))

    def clear(self, numbers: Sequence[int]) -> None:
        """Once the report is written: these claims' kept results are in it (others, of another run, stay)."""
        for number in numbers:
            self.path(number).unlink(missing_ok=True)
            self.path(number).with_suffix(OLD_SUFFIX).unlink(missing_ok=True)
        if self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()
