"""What every claim experiment is given: seeds, size, where figures go, and memoised training runs.

Claims that need whole GANs trained call `ClaimContext.train`, which runs wganlab's own training loop
in a scratch folder and remembers the result, so two claims that need the same run (claims 10 and 11)
pay for it once. `ClaimContext.train_many` trains several such runs as a sweep (training/sweep.py): those that
differ only in the seed, the clip value or the penalty weight as one stacked run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from wganlab import config as configuration
from wganlab import runlogs
from wganlab.plotting import pyplot as plt
from wganlab.runlogs import RunLogs

FIGURE_DPI = 90


@dataclass
class ClaimContext:
    seeds: tuple[int, ...]
    quick: bool  # a smoke-test size: minutes for the whole suite, verdicts not to be trusted
    figure_dir: Path  # claim figures go here (claim-NN-*.png)
    work_dir: Path  # scratch run folders
    log: Callable[[str], None] = print
    _runs: dict[str, RunLogs] = field(default_factory=dict)
    _memo: dict[Hashable, Any] = field(default_factory=dict)
    _stopped: dict[str, str] = field(default_factory=dict)  # memo key -> the NonFiniteError that ended that run

    def size(self, full: int, quick: int) -> int:
        """`full` normally, `quick` under --quick."""
        return quick if self.quick else full

    def figure(self, number: int, name: str) -> Path:
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        return self.figure_dir / f"claim-{number:02d}-{name}.png"

    def save_figure(self, figure: Figure, number: int, name: str) -> Path:
        """Lay out, write claim-NN-name.png at 90 dpi and close the figure; return the file."""
        try:
            figure.tight_layout()
            path = self.figure(number, name)
            figure.savefig(path, dpi=FIGURE_DPI)
        finally:
            plt.close(figure)
        return path

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()` the first time `key` is asked for, the remembered value after (shared between claims)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def train(self, preset: str, values: Mapping[str, Any], divergence_ends_run: bool = False) -> RunLogs:
        """Train `preset` with `values` ({"section.key": value}) through wganlab's loop; memoised. A non-finite step
        raises NonFiniteError, or with `divergence_ends_run` ends the run there: its logs then hold what it logged
        before, and the stop in `events` (a claim about divergence counts it). A memoised run that stopped so raises
        again for a caller that did not ask for it."""
        from wganlab.training import loop, session  # the loop imports a lot; claims that never train need none of it
        from wganlab.training.guard import NonFiniteError

        config = claim_config(preset, values)
        key = _key(config)
        if key not in self._runs:
            folder, run, state = session.start(config, self.work_dir)
            try:
                loop.fit(folder, run, state, console=io.StringIO())
            except NonFiniteError as error:
                self._stopped[key] = str(error)
            self._runs[key] = runlogs.read_run(folder)
        if key in self._stopped and not divergence_ends_run:
            raise NonFiniteError(self._stopped[key])
        return self._runs[key]

    def train_many(self, preset: str, runs: Sequence[Mapping[str, Any]]) -> list[RunLogs]:
        """`train` for each of `runs`, as a sweep: members that differ only in the seed, the clip value or the penalty
        weight train as one stacked run, each equal to its separate run up to rounding; memoised with `train`. Not
        for runs whose wall-clock time a claim measures: a stacked member's clock is its whole group's."""
        from wganlab.training import sweep  # the loop imports a lot; claims that never train need none of it
        from wganlab.training.guard import NonFiniteError
        from wganlab.training.stack import IN_BATCH

        configs = [claim_config(preset, values) for values in runs]
        plans: dict[str, sweep.Plan] = {}
        for values, config in zip(runs, configs, strict=True):
            key = _key(config)
            if key not in self._runs and key not in plans:
                plans[key] = sweep.Plan({name: value for name, value in values.items() if name in IN_BATCH}, config)
        if plans:
            done = sweep.fit(sweep.begin(list(plans.values()), self.work_dir, f"sweep-{preset}"), console=io.StringIO())
            for key, member in zip(plans, done.members, strict=True):
                if member.stopped:
                    raise NonFiniteError(member.stopped)
                self._runs[key] = runlogs.read_run(member.folder)
        return [self._runs[_key(config)] for config in configs]


def claim_config(preset: str, values: Mapping[str, Any]) -> configuration.Config:
    """`preset` with `values`, on the CPU unless `values` say otherwise (train.device "auto" would take a GPU where
    there is one: the claims' figures are the CPU's, bitwise reproducible there, and their probes are CPU tensors)."""
    return configuration.with_values(configuration.load(preset=preset), {"train.device": "cpu", **values})


def _key(config: configuration.Config) -> str:
    """The memo key of a training run: its whole config."""
    return json.dumps(configuration.to_dict(config), sort_keys=True)
