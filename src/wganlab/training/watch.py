"""Rank 0's watch over a run's quality metric: it keeps the best evaluation's checkpoint beside the last ones and
applies the plateau rule (diagnostics/stopping.py) at each evaluation, for `train.stop_on_plateau`.

checkpoints/best-NNNNNNN.pt is the full state at the evaluation with the lowest quality metric among those whose
state the run still has: a resume or a rollback to before the best evaluation discards it with the rest of that
stretch (rundir.cut_back), and the best is then taken again from the evaluations that follow."""

from __future__ import annotations

import math
from pathlib import Path

from wganlab import rundir
from wganlab.diagnostics.stopping import NOISE_MULTIPLE, Plateau, plateau_at
from wganlab.diagnostics.tracking import QUALITY_PREFIXES
from wganlab.training import checkpoint
from wganlab.training.step import Run, TrainState


class QualityWatch:
    """The quality metric's history over the run (read back from metrics.jsonl on a resume or after a rollback)."""

    def __init__(self, folder: Path, run: Run) -> None:
        self.folder, self.run = folder, run
        self.steps: list[int] = []
        self.values: list[float] = []
        self.metric: str | None = None
        self.best = math.inf  # the metric at the evaluation whose checkpoint best-*.pt holds (inf: none held)

    def observe(self, state: TrainState, metrics: dict[str, float]) -> Plateau | None:
        """After an evaluation at `state.step`: save the best checkpoint if this evaluation is the best yet, and
        return the plateau if the rule fires here (None otherwise, and always when the run logs no quality metric)."""
        metric = self.metric or next((key for key in metrics if key.startswith(QUALITY_PREFIXES)), None)
        if metric is None or metric not in metrics:
            return None
        if metric != self.metric or (self.steps and self.steps[-1] >= state.step):
            self._reread(metric, state.step)  # the first evaluation of this session, or after a rollback
        value = float(metrics[metric])
        self.steps.append(state.step)
        self.values.append(value)
        if math.isfinite(value) and value < self.best:
            self._save_best(state)
            self.best = value
        return plateau_at(self.steps, self.values, len(self.values) - 1, self.run.config.train.plateau_patience)

    def _reread(self, metric: str, before: int) -> None:
        self.metric = metric
        records = [r for r in rundir.read_jsonl(self.folder / rundir.METRICS) if metric in r and r["step"] < before]
        self.steps = [int(r["step"]) for r in records]
        self.values = [float(r[metric]) for r in records]
        held = rundir.best_checkpoints(self.folder)
        at = dict(zip(self.steps, self.values, strict=True))
        self.best = at.get(held[-1][0], math.inf) if held else math.inf

    def _save_best(self, state: TrainState) -> None:
        """The full state at this evaluation, written atomically before the previous best is removed."""
        older = rundir.best_checkpoints(self.folder)
        path = rundir.best_path(self.folder, state.step)
        checkpoint.save(path, state, self.run.config, self.run.shape)
        for _, old in older:
            if old != path:
                old.unlink(missing_ok=True)


def describe(plateau: Plateau, metric: str | None) -> str:
    """The finding in one line."""
    return (
        f"quality stopped improving at step {plateau.step}: the mean {metric} of the {plateau.patience} evaluations "
        f"up to step {plateau.detected_at} was not below that of the {plateau.patience} before by more than "
        f"{NOISE_MULTIPLE:g} standard errors (measured noise {plateau.noise:.3g} per evaluation)"
    )
