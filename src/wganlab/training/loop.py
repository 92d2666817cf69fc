"""Train a run to its end: the loop reads top to bottom (training/session.py starts or resumes it)."""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import torch
from torch import Tensor
from tqdm import tqdm

from wganlab import rundir
from wganlab.data.datasets import placed
from wganlab.diagnostics.stopping import Plateau
from wganlab.training import checkpoint, guard, session, tensorboard
from wganlab.training.evaluation import Measurement
from wganlab.training.step import Run, TrainState, train_step
from wganlab.training.streams import EVALUATION, PROBE, step_seed
from wganlab.training.watch import QualityWatch, describe


@dataclass(frozen=True)
class Summary:
    run: Path | None  # None on the ranks of a distributed run other than rank 0
    step: int
    metrics: dict[str, float]
    train_seconds: float  # time inside training steps in this session (no evaluation, no checkpoints)
    run_train_seconds: float  # the same over the whole run, across resumes
    generator_steps_per_second: float


def measure(run: Run, state: TrainState) -> Measurement:
    """The evaluator's metrics of the evaluated generator, with the critic in eval mode; writes nothing."""
    state.critic.eval()
    try:
        seed = step_seed(run.config.train.seed, state.step, EVALUATION)
        return run.evaluator.measure(state.sampler, state.critic, seed=seed)
    finally:
        state.critic.train()


def evaluate(folder: Path | None, run: Run, state: TrainState) -> dict[str, float]:
    """Measure, append one metrics line (with its protocol) and draw one figure (rank 0, which has the folder;
    the other ranks only help measure)."""
    measurement = measure(run, state)
    if folder is None:
        return measurement.metrics
    if run.config.eval.figures:
        state.critic.eval()
        try:
            title = f"{folder.name}  step {state.step}\n{headline(run, measurement.metrics)}"
            measurement.draw(rundir.figure_path(folder, state.step), title)
        finally:
            state.critic.train()
    record: dict[str, object] = {"step": state.step} | measurement.metrics
    if measurement.protocol:
        record["protocol"] = measurement.protocol
    rundir.append_jsonl(folder / rundir.METRICS, record)
    if run.prober is not None:
        seed = step_seed(run.config.train.seed, state.step, PROBE)
        probe = run.prober.probe(state.generator, state.critic, seed=seed)
        rundir.append_jsonl(folder / rundir.DIAGNOSTICS, {"step": state.step} | probe)
    return measurement.metrics


def headline(run: Run, metrics: dict[str, float]) -> str:
    return run.evaluator.headline(metrics)


def fit(folder: Path | None, run: Run, state: TrainState, console: TextIO | None = None) -> Summary:
    """Train to `train.steps`, evaluating and checkpointing on their cadences (progress to `console`, stdout),
    with the run folder locked; a non-finite step stops the run or rolls it back (guard.py). In a distributed
    run every rank trains; rank 0 alone (the one with a `folder`) logs, evaluates, checkpoints and reports."""
    console = console or sys.stdout  # looked up per call: a default bound at import goes stale under redirection
    run = dataclasses.replace(run, dataset=placed(run.dataset, state.rng.device))  # a GPU keeps it where it fits
    if folder is None:
        return _fit(None, run, state, console)
    session.hold(folder)
    try:
        return _fit(folder, run, state, console)
    finally:
        session.release(folder)


def _fit(folder: Path | None, run: Run, state: TrainState, console: TextIO) -> Summary:
    """The steps queue their work and the guard's verdict on the device without waiting; the host reads the device
    only where it logs, evaluates or checkpoints (`reading`): the guard's tally first, once, then the clock."""
    train, every, team, device = run.config.train, run.config.eval.every, run.team, state.rng.device
    interactive = folder is not None and console.isatty()  # rank 0 (or the only process) at a terminal
    bar = tqdm(total=train.steps, initial=state.step, disable=not interactive, file=console, unit="step")
    metrics: dict[str, float] = {}
    seconds, first_step = 0.0, state.step
    # rolling back before the first checkpoint returns to the state training started from
    initial = checkpoint.encode(state, run.config, run.shape) if train.on_nonfinite == "rollback" else None
    tally = guard.Tally(guard.watched(state))
    events = tensorboard.open_writer(folder, purge_step=state.step or None) if folder is not None else None
    watch = QualityWatch(folder, run) if folder is not None else None  # the best checkpoint, the plateau rule
    stop, stopped = False, None  # train.stop_on_plateau: every rank stops; rank 0 holds the plateau
    started = time.perf_counter()
    while state.step < train.steps:
        stats = train_step(run, state)
        state.step += 1
        tally.add(stats, state.step)
        bar.update(1)
        if not reading(run, state.step):
            continue
        found = guard.agree(team, tally.read(), device)  # the one device read since the last reading
        seconds += clocked(state, started)  # after the read: on a GPU, the queued kernels have run
        if found is not None:
            guard.recover(folder, run, state, found[1], initial, console, failed_at=found[0])
            bar.reset(train.steps)
            bar.update(state.step)
            started = time.perf_counter()
            continue
        if due(state.step, train.log_every, train.steps):
            _log(folder, run, state, stats, events, bar if interactive else None, metrics)
        if due(state.step, every, train.steps):
            metrics, plateau = _evaluate_and_watch(folder, run, state, events, watch, console)
            if train.stop_on_plateau and not team.all_true(plateau is None, device):
                stop, stopped = True, plateau
        if due(state.step, train.checkpoint_every, train.steps) or stop:
            if not _checkpoint(folder, run, state, initial, console):
                stop, stopped = False, None  # rolled back to before the plateau
                started = time.perf_counter()
                continue
        if stop:
            break
        started = time.perf_counter()
    bar.close()
    if events is not None:
        events.close()
    if stopped is not None and watch is not None and folder is not None:  # rank 0
        _stop_on_plateau(folder, run, stopped, watch, console)
    return finish(folder, state, metrics, seconds, state.step - first_step)


def clocked(state: TrainState, started: float) -> float:
    """The seconds since `started`, added to the run's training time."""
    elapsed = time.perf_counter() - started
    state.train_seconds += elapsed
    return elapsed


def _log(
    folder: Path | None, run: Run, state: TrainState, stats: dict[str, Tensor],
    events: tensorboard.TensorboardWriter | None, bar: tqdm | None, metrics: dict[str, float],
) -> None:
    """The step's statistics over the global batch, in stats.jsonl (rank 0) and on the progress bar (at a terminal)."""
    stats = run.team.mean_stats(stats)
    if folder is not None:
        log_stats(folder, state, stats, events)
    if bar is not None:
        bar.set_postfix_str(_postfix(stats, metrics))


GUARD_EVERY = 100  # the guard's tally is read at least this often (steps), whatever the logging's cadence


def reading(run: Run, step: int) -> bool:
    """Whether the host reads the device after `step`: where it logs, evaluates or checkpoints, and at least every
    GUARD_EVERY steps (a broken run then trains at most 99 steps more before it stops)."""
    train, last = run.config.train, run.config.train.steps
    cadences = (train.log_every, run.config.eval.every, train.checkpoint_every, GUARD_EVERY)
    return any(due(step, every, last) for every in cadences)


def _checkpoint(folder: Path | None, run: Run, state: TrainState, initial: bytes | None, console: TextIO) -> bool:
    """The step's checkpoint (rank 0 writes it), never a non-finite one: False when the state was not finite and
    the guard rolled it back (the same on every rank) or stopped the run."""
    if (problem := guard.locate({}, state, with_optimizers=True)) is not None:
        guard.recover(folder, run, state, problem, initial, console)
        return False
    if folder is not None:
        save_checkpoint(folder, run, state)
    return True


def keep_before_failing(
    folder: Path | None, run: Run, state: TrainState, console: TextIO, failed: str = "the evaluation"
) -> None:
    """An evaluation (`failed` names whose) failed: the step's checkpoint is written first (rank 0, when the state
    is finite), so the failure never costs the run its training: `wganlab train --resume` or `wganlab evaluate`
    take it from there."""
    if folder is None or guard.locate({}, state, with_optimizers=True) is not None:
        return
    path = rundir.checkpoint_path(folder, state.step)
    if not path.is_file():
        save_checkpoint(folder, run, state)
    then = f"wganlab evaluate {folder}` measures it" if state.step >= run.config.train.steps else \
        f"wganlab train --resume {folder}` goes on from it"
    print(f"{failed} at step {state.step} failed; the step's checkpoint is kept ({path}): once the cause is "
          f"fixed, `{then}", file=console, flush=True)


def _evaluate_and_watch(
    folder: Path | None, run: Run, state: TrainState, events: tensorboard.TensorboardWriter | None,
    watch: QualityWatch | None, console: TextIO,
) -> tuple[dict[str, float], Plateau | None]:
    """The evaluation (every rank takes part; rank 0 writes), its TensorBoard scalars and console line, and the
    watch's verdict on it: the best checkpoint kept, and the plateau if the rule fires here."""
    try:
        metrics = evaluate(folder, run, state)
    except Exception:
        keep_before_failing(folder, run, state, console)
        raise
    if events is not None:
        tensorboard.write_record(events, state.step, {f"eval/{key}": value for key, value in metrics.items()})
    if folder is not None and not console.isatty():
        print(f"step {state.step}/{run.config.train.steps}  {headline(run, metrics)}", file=console, flush=True)
    return metrics, watch.observe(state, metrics) if watch is not None else None


def _stop_on_plateau(folder: Path, run: Run, plateau: Plateau, watch: QualityWatch, console: TextIO) -> None:
    """The plateau's event line, and the one-line message: where quality stopped improving, where the run
    stopped, and which checkpoint to use."""
    best = rundir.best_checkpoint(folder)
    rundir.append_jsonl(folder / rundir.EVENTS, {
        "step": plateau.detected_at, "event": "plateau", "action": "stop", "best_step": plateau.step,
        "metric": watch.metric, "value": plateau.value, "noise": plateau.noise, "patience": plateau.patience,
    })
    print(f"step {plateau.detected_at}: {describe(plateau, watch.metric)}; stopped there (train.stop_on_plateau, "
          f"of {run.config.train.steps} steps); best checkpoint {best}", file=console, flush=True)


def due(step: int, every: int, last: int) -> bool:
    """Whether what is done every `every` steps (0: only at the end) is done at `step`: always at the `last`."""
    return step == last or (every > 0 and step % every == 0)


def save_checkpoint(folder: Path, run: Run, state: TrainState) -> None:
    """The step's checkpoint, written atomically, and the older ones beyond train.keep_checkpoints pruned."""
    checkpoint.save(rundir.checkpoint_path(folder, state.step), state, run.config, run.shape)
    rundir.prune_checkpoints(folder, run.config.train.keep_checkpoints)


def log_stats(
    folder: Path, state: TrainState, stats: dict[str, Tensor], events: tensorboard.TensorboardWriter | None
) -> None:
    """One stats.jsonl line (and TensorBoard scalars): the step's statistics, the learning rate, the clock."""
    record = {key: float(value) for key, value in stats.items()}
    record["lr/generator"] = state.generator_scheduler.get_last_lr()[0]
    record["time/train_seconds"] = state.train_seconds  # for time-to-quality curves
    rundir.append_jsonl(folder / rundir.STATS, {"step": state.step} | record)
    if events is not None:
        tensorboard.write_record(events, state.step, record)


def finish(
    folder: Path | None, state: TrainState, metrics: dict[str, float], seconds: float, steps_done: int
) -> Summary:
    """The session's summary, written to summary.json (by rank 0; the other ranks' has no folder)."""
    speed = steps_done / seconds if seconds else 0.0
    summary = Summary(folder, state.step, metrics, seconds, state.train_seconds, speed)
    if folder is None:
        return summary
    rundir.write_summary(
        folder,
        {
            "step": summary.step,
            "metrics": summary.metrics,
            "train_seconds": summary.train_seconds,
            "run_train_seconds": summary.run_train_seconds,
            "generator_steps_per_second": summary.generator_steps_per_second,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
    )
    return summary


def _postfix(stats: dict[str, Tensor], metrics: dict[str, float]) -> str:
    text = f"est {float(stats['critic/estimate']):.4f}"
    modes = next((value for key, value in metrics.items() if key.startswith("modes_")), None)
    if modes is not None:
        text += f"  modes {modes:.0f}/{metrics['total_modes']:.0f}"
    return text
