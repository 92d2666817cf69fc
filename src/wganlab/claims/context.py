"""What every claim experiment is given: seeds, size, where figures go, and memoised training runs.

Claims that need whole GANs trained call `ClaimContext.train`, which runs wganlab's own training loop
in a scratch folder and remembers the result, so two claims that need the same run (claims 10 and 11)
pay for it once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config


@dataclass(frozen=True)
class TrainedRun:
    """A finished training run: its folder and its logs (`training.loop.load(folder)` rebuilds its final state)."""

    folder: Path
    config: Config
    stats: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass
class ClaimContext:
    seeds: tuple[int, ...]
    quick: bool  # a smoke-test size: minutes for the whole suite, verdicts not to be trusted
    figure_dir: Path  # claim figures go here (claim-NN-*.png)
    work_dir: Path  # scratch run folders
    log: Callable[[str], None] = print
    _runs: dict[str, TrainedRun] = field(default_factory=dict)
    _memo: dict[Hashable, Any] = field(default_factory=dict)

    def size(self, full: int, quick: int) -> int:
        """`full` normally, `quick` under --quick."""
        return quick if self.quick else full

    def figure(self, number: int, name: str) -> Path:
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        return self.figure_dir / f"claim-{number:02d}-{name}.png"

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()` the first time `key` is asked for, the remembered value after (shared between claims)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def train(self, preset: str, overrides: Mapping[str, Any]) -> TrainedRun:
        """Train `preset` with `overrides` ({"section.key": value}) through wganlab's loop; memoised."""
        from wganlab.training import loop  # the loop imports a lot; claims that never train need none of it

        settings = [f"{key}={json.dumps(value)}" for key, value in sorted(overrides.items())]
        config = configuration.load(None, preset, settings)
        key = json.dumps(configuration.to_dict(config), sort_keys=True)
        if key not in self._runs:
            folder, run, state = loop.start(config, self.work_dir)
            loop.fit(folder, run, state, console=io.StringIO())
            self._runs[key] = TrainedRun(
                folder=folder,
                config=config,
                stats=list(rundir.read_jsonl(folder / rundir.STATS)),
                metrics=list(rundir.read_jsonl(folder / rundir.METRICS)),
                summary=json.loads((folder / rundir.SUMMARY).read_text()),
            )
        return self._runs[key]
