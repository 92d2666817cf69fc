"""A config's raw values: read from a TOML file or from `section.key=value` strings (--set), and each checked
against the type its key is annotated with (`config.py` applies them to a `Config` and checks the ranges).
"""

from __future__ import annotations

import datetime
import math
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wganlab.errors import ConfigError, shortened

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a missing, unreadable or malformed file is a one-line ConfigError."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give the path of a TOML file") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder; give the path of a TOML file") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} is not valid UTF-8 TOML ({error}); fix the syntax") from None
    except ValueError:  # tomllib's integers of over 4,300 digits
        raise ConfigError(f"config file {path} holds a number of thousands of digits; fix it") from None
    except RecursionError:  # tomllib recurses once per level of nesting
        raise ConfigError(f"config file {path} nests lists or tables too deeply to read; fix it") from None


def toml_value(text: str) -> Any | None:
    """`text` read as a TOML value, or None where it is not one (a bare word, or an integer of over 4,300 digits,
    which tomllib refuses with a ValueError, or lists nested too deeply to read); TOML itself has no null."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None


def parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """`section.key=value` strings into nested dicts; values parse as TOML, bare words as strings."""
    result: dict[str, dict[str, Any]] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise ConfigError(f"--set {item!r} is not of the form section.key=value (e.g. train.steps=500)")
        value = toml_value(text)
        result.setdefault(section, {})[name] = text.strip() if value is None else value
    return result


def coerce(value: Any, expected: Any, key: str, source: str) -> Any:
    """Check `value` against the annotated type; ints are accepted for floats, nothing else is converted."""

    def wrong() -> ConfigError:
        shown = getattr(expected, "__name__", str(expected))
        if typing.get_origin(expected) is tuple:
            shown = "a list of " + ", ".join(getattr(t, "__name__", "...") for t in typing.get_args(expected))
        line = f"{key} in {source} must be {shown}, got {shown_value(value)} ({type(value).__name__})"
        if expected is str and source == "--set":  # data.root=2024: TOML's int, meant as a folder's name
            line += f", as --set reads values as TOML: {_quote_it(value, key)}"
        return ConfigError(line)

    if typing.get_origin(expected) is tuple:
        items = typing.get_args(expected)
        if len(items) == 2 and items[1] is Ellipsis:  # tuple[str, ...]: a list, or a comma-separated string
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            if not isinstance(value, (list, tuple)):
                raise wrong()
            return tuple(coerce(v, items[0], key, source) for v in value)
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise wrong()
        return tuple(coerce(v, t, key, source) for v, t in zip(value, items, strict=True))
    if expected in _SCALARS:
        accepted, convert = _SCALARS[expected]
        if isinstance(value, bool) is not (expected is bool) or not isinstance(value, accepted):
            raise wrong()
        if expected is int and not -(2**63) <= value < 2**63:
            raise ConfigError(f"{key} in {source} must be a whole number that fits in 64 bits, got "
                              f"{shown_value(value)}")
        if expected is float and not (abs(value) < 1e308 and math.isfinite(value)):  # 10**309 cannot be a float
            raise ConfigError(f"{key} in {source} must be a finite number, got {shown_value(value)}")
        if expected is str and value.splitlines() not in ([], [value]):  # \n, \r, \x85, \u2028, ...
            raise ConfigError(f"{key} in {source} must be one line of text, got {shown_value(value)}")
        return convert(value)
    raise AssertionError(f"unhandled config type {expected}")


def shown_value(value: object) -> str:
    """A value as a one-line error shows it: its repr, `shortened` past 60 characters (a number of thousands of
    digits, a pasted text)."""
    return shortened(repr(value), 60)


def _quote_it(value: Any, key: str) -> str:
    """How to give as text a value that --set read as another TOML type (data.root=2024, an int): quoted, as typed."""
    if isinstance(value, bool):
        typed = str(value).lower()
    elif isinstance(value, (datetime.date, datetime.time)):  # a datetime is a date
        typed = value.isoformat()
    else:  # a number as typed, near enough (1e3 reads as 1000.0); a list or table is not retyped
        typed = repr(value) if isinstance(value, (int, float)) and len(repr(value)) <= 40 else "..."
    return f"quote it, as in --set '{key}=\"{typed}\"'"


_SCALARS: dict[type, tuple[tuple[type, ...], Any]] = {  # annotated type -> (accepted Python types, conversion)
    bool: ((bool,), bool),
    int: ((int,), int),
    float: ((int, float), float),
    str: ((str,), str),
}
