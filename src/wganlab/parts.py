"""One kind of choosable part (a loss, a penalty, a data set, an extractor, ...): a table of entries by name.

Each kind's table lives beside its implementations, each entry carrying its name, a one-line description,
what builds it and the properties other code asks about (`per_sample`, `needs_lipschitz`, ...). The registry
only collects the tables; a name is resolved to its entry once, at build time, with `Parts.resolve`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from wganlab.errors import ConfigError


class Entry(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


E = TypeVar("E", bound=Entry, covariant=True)


def suggest(given: str, known: Iterable[str]) -> str:
    """'did you mean 'x'? choose from: a, b, c' for a name that is not among `known`."""
    names = sorted(known)
    close = difflib.get_close_matches(given, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}choose from: {', '.join(names)}"


class Parts(Mapping[str, E], Generic[E]):
    """The entries of one kind, by name, in the order given; `key` is the config key that chooses one."""

    def __init__(self, key: str, entries: Iterable[E]) -> None:
        self.key = key
        self._entries: dict[str, E] = {}
        for entry in entries:
            assert entry.name not in self._entries, f"{key}: {entry.name!r} is listed twice"
            self._entries[entry.name] = entry

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def resolve(self, name: str, key: str | None = None) -> E:
        """The entry called `name`; a `ConfigError` naming the config key and the choices otherwise."""
        if name not in self._entries:
            raise ConfigError(f"unknown {key or self.key} {name!r}; {suggest(name, self._entries)}")
        return self._entries[name]

    def descriptions(self) -> dict[str, str]:
        return {name: entry.description for name, entry in self._entries.items()}

    def __repr__(self) -> str:
        return f"Parts({self.key!r}, {list(self._entries)})"
