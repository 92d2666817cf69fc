"""`wganlab sweep`: many runs (a grid over config values, times seeds) trained as few batched runs.

Every member is a run of its own: its config, run folder (config.json, logs, figures, checkpoints, summary),
random streams, weights and optimiser moments; member k equals `wganlab train` with its config up to
floating-point rounding (the batched matrix products round differently). Members whose configs differ only in
values a batched step can carry per member (stack.IN_BATCH: the seed, the clip value c, the penalty weight
lambda) train together as one stacked run; any other difference (width, depth, learning rate, ...) puts them in
another group, trained after it. A member that goes non-finite stops alone: its run folder records the step and
the quantity, as a separate run's would, and the others go on.

A sweep's folder holds sweep.json (the grid, the seeds, each member's folder, values and outcome) and the members'
run folders; `wganlab compare SWEEP` puts them side by side. A member's checkpoint resumes with `wganlab train
--resume` like any run's.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from wganlab import config as configuration
from wganlab import rundir
from wganlab.config import Config
from wganlab.config_values import toml_value
from wganlab.errors import ConfigError
from wganlab.models.conditional import NONE
from wganlab.training import guard, loop, session
from wganlab.training.build import build
from wganlab.training.guard import NonFiniteError
from wganlab.training.loop import Summary
from wganlab.training.stack import batch_key, check_stackable, row, stack, sync_clock, unstack, watched_as_member
from wganlab.training.step import Run, TrainState, train_step
from wganlab.training.watch import QualityWatch

Grid = dict[str, list[Any]]  # {"section.key": [values]}
MAX_MEMBERS = 10_000  # runs in one sweep (each a run folder of its own): more is a typo in --seeds or --grid


def parse_grid(items: Sequence[str]) -> Grid:
    """`section.key=v1,v2,...` strings (the command line's --grid) into {key: [values]}; values parse as TOML
    (bare words as strings)."""
    grid: Grid = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or "." not in key or not text.strip():
            raise ConfigError(
                f"--grid {item!r} is not of the form section.key=v1,v2,... (e.g. objective.clip_value=0.1,0.01)"
            )
        values = toml_value(f"[{text}]")
        if values is None:  # bare words
            values = [word.strip() for word in text.split(",") if word.strip()]
        if not values:
            raise ConfigError(f"--grid {item!r} gives no values; list them: {key}=v1,v2,...")
        if key in grid:
            raise ConfigError(f"--grid names {key} twice; give all its values in one --grid {key}=v1,v2,...")
        grid[key] = values
    return grid


def parse_seeds(text: str) -> list[int]:
    """`0-3`, `0,1,2` or `5` into seeds, in order, without repeats (at most MAX_MEMBERS of them)."""
    ranges = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d{1,30})\s*(?:-\s*(\d{1,30})\s*)?", part)
        if match is None or (match.group(2) is not None and int(match.group(2)) < int(match.group(1))):
            raise ConfigError(f"--seeds {text!r}: give seeds as 0-3, 0,1,2 or 5 (non-negative, ranges low-high)")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high >= configuration.SEEDS:
            raise ConfigError(f"--seeds {text!r}: seeds must be below 2**63")
        ranges.append((low, high))
    if (count := sum(high - low + 1 for low, high in ranges)) > MAX_MEMBERS:
        raise ConfigError(f"--seeds {text!r} asks for {count:,} seeds, more than a sweep's {MAX_MEMBERS:,} runs; "
                          "give fewer")
    return list(dict.fromkeys(seed for low, high in ranges for seed in range(low, high + 1)))


@dataclass(frozen=True)
class Plan:
    """One member: its values (grid point and seed), a short label, and its checked config."""

    values: dict[str, Any]
    config: Config

    @property
    def label(self) -> str:
        return " ".join(f"{key.partition('.')[2]}={value}" for key, value in self.values.items())


def plan(base: Config, grid: Grid, seeds: Sequence[int] | None) -> list[Plan]:
    """Every grid point times every seed (no seeds: the base config's own), each config checked."""
    if "train.seed" in grid and seeds:
        raise ConfigError("give seeds either with --seeds or with --grid train.seed=..., not both")
    if base.train.stop_on_plateau or grid.get("train.stop_on_plateau"):
        raise ConfigError("wganlab sweep trains its members together and does not stop one on a plateau: drop "
                          "train.stop_on_plateau (each member still keeps its best checkpoint)")
    axes = dict(grid) | ({"train.seed": list(seeds)} if seeds else {})
    if not axes:
        raise ConfigError("nothing to sweep: give --grid section.key=v1,v2,... and/or --seeds 0-3")
    if (count := math.prod(map(len, axes.values()))) > MAX_MEMBERS:
        raise ConfigError(f"the grid and seeds make {count:,} runs, more than a sweep's {MAX_MEMBERS:,}; give fewer "
                          "values")
    plans = []
    for point in itertools.product(*axes.values()):
        values = dict(zip(axes, point, strict=True))
        plans.append(Plan(values, configuration.with_values(base, values)))
    if any(plan.config.model.conditioning != NONE for plan in plans):
        raise ConfigError("wganlab sweep does not train class-conditional runs yet (model.conditioning): train each "
                          "with wganlab train, or sweep with model.conditioning = \"none\"")
    return plans


@dataclass
class Member:
    plan: Plan
    folder: Path
    run: Run
    state: TrainState
    metrics: dict[str, float] = field(default_factory=dict)
    stopped: str | None = None  # why it stopped early (a non-finite step), else None
    summary: Summary | None = None
    watch: QualityWatch | None = None  # its best checkpoint (made at its first evaluation)


@dataclass(frozen=True)
class Sweep:
    folder: Path
    members: list[Member]
    groups: list[list[int]]  # indices into members, one list per stacked run
    grid: Grid = field(default_factory=dict)
    seeds: tuple[int, ...] = ()


def start(base: Config, grid: Grid, seeds: Sequence[int] | None, outdir: Path) -> Sweep:
    """The grid times the seeds over `base`, begun in a new sweep folder under `outdir`."""
    return begin(plan(base, grid, seeds), outdir, f"sweep-{base.preset}-{base.data.name}", grid, seeds or ())


def groups(plans: Sequence[Plan]) -> list[list[int]]:
    """The members' indices by stacked run: members whose configs differ only in IN_BATCH values share one; each
    config checked for what a stacked run cannot train (one line)."""
    for each in plans:
        check_stackable(each.config)
    keys: dict[str, list[int]] = {}
    for index, each in enumerate(plans):
        keys.setdefault(batch_key(each.config), []).append(index)
    return list(keys.values())


def begin(plans: Sequence[Plan], outdir: Path, name: str, grid: Grid | None = None, seeds: Sequence[int] = ()) -> Sweep:
    """Check and build every member before anything is written, then make the sweep's folder and the members'."""
    grouped = groups(plans)
    built = [build(each.config) for each in plans]  # a bad member config stops the sweep here, with nothing written
    for group in grouped:
        stack([built[index] for index in group])  # networks that cannot be stacked (BatchNorm) are refused here
    folder = rundir.create(outdir, name, run=False)
    members = [Member(each, session.open_folder(folder, run, each.label), run, state)
               for each, (run, state) in zip(plans, built, strict=True)]
    sweep = Sweep(folder, members, grouped, dict(grid or {}), tuple(seeds))
    write_record(sweep)
    return sweep


def write_record(sweep: Sweep) -> None:
    """sweep.json: what was swept and, per member, its folder, values, group and outcome so far."""
    group_of = {index: number for number, group in enumerate(sweep.groups) for index in group}
    rundir.write_sweep(sweep.folder, {
        "grid": sweep.grid,
        "seeds": list(sweep.seeds),
        "members": [
            {
                "folder": member.folder.name,
                "values": member.plan.values,
                "group": group_of[index],
                "status": "stopped" if member.stopped else ("done" if member.summary else "training"),
                "stopped": member.stopped,
                "metrics": member.metrics,
            }
            for index, member in enumerate(sweep.members)
        ],
    })


def fit(sweep: Sweep, console: TextIO | None = None) -> Sweep:
    """Train every group to its end, one stacked run at a time; sweep.json says how each member ended."""
    console = console or sys.stdout
    try:
        for group in sweep.groups:
            fit_group([sweep.members[index] for index in group], console)
            write_record(sweep)
    finally:
        for member in sweep.members:
            session.release(member.folder)
    return sweep


def fit_group(members: list[Member], console: TextIO) -> None:
    """Train members that differ only in IN_BATCH values as one stacked run, with each member's own logs,
    evaluations, checkpoints and summary (written from its own state, copied out of the stacked one)."""
    run, state = stack([(member.run, member.state) for member in members])
    train, every = run.config.train, run.config.eval.every
    first_step, tally = state.step, guard.Tally(watched_as_member(members[0].state, state), members=len(members))
    started = time.perf_counter()
    while state.step < train.steps:
        stats = train_step(run, state)  # under the member axis of run.members (step.py)
        state.step += 1
        tally.add(stats, state.step)  # read only where the loop logs, evaluates or checkpoints, as a run's
        if not loop.reading(run, state.step):
            continue
        found = tally.read_members()  # one device read: on a GPU, after the queued kernels
        loop.clocked(state, started)
        for k, problem in enumerate(found):
            if problem is not None and members[k].stopped is None:
                stop(members[k], state, k, problem, console)
        if all(member.stopped for member in members):
            break
        if loop.due(state.step, train.log_every, train.steps):
            for k, member in enumerate(members):
                if member.stopped is None:
                    sync_clock(state, member.state)
                    loop.log_stats(member.folder, member.state, row(stats, k), None)
        evaluating = loop.due(state.step, every, train.steps)
        saving = loop.due(state.step, train.checkpoint_every, train.steps)
        if evaluating or saving:
            for k, member in enumerate(members):
                if member.stopped is None:
                    unstack(state, k, member.state)
                    if evaluating:
                        evaluate_or_keep(members, k, state, console)
                    if saving:
                        save(member, console)
        started = time.perf_counter()
    for member in members:
        if member.stopped is None:
            member.summary = loop.finish(member.folder, member.state, member.metrics, state.train_seconds,
                                         state.step - first_step)


def evaluate_or_keep(members: list[Member], k: int, stacked: TrainState, console: TextIO) -> None:
    """Member k's evaluation; where it fails, as a run's, every member's checkpoint of this step is kept before
    the error goes on (the members evaluated before it, and those not reached yet)."""
    try:
        evaluate(members[k], members[k].run.config.train.steps, console)
    except Exception:
        failed = f"the sweep's evaluation (of {members[k].plan.label})"
        for j, member in enumerate(members):
            if member.stopped is None:
                unstack(stacked, j, member.state)
                loop.keep_before_failing(member.folder, member.run, member.state, console, failed)
        raise


def evaluate(member: Member, steps: int, console: TextIO) -> None:
    """The member's evaluation (its own state, just copied out), and its line on the console."""
    member.metrics = loop.evaluate(member.folder, member.run, member.state)
    member.watch = member.watch or QualityWatch(member.folder, member.run)
    member.watch.observe(member.state, member.metrics)  # keeps the best checkpoint; sweeps never stop on a plateau
    print(f"step {member.state.step}/{steps}  {member.plan.label}  {loop.headline(member.run, member.metrics)}",
          file=console, flush=True)


def save(member: Member, console: TextIO) -> None:
    """The member's checkpoint (its own state, just copied out), never a non-finite one."""
    problem = guard.locate({}, member.state, with_optimizers=True)
    if problem is not None:
        _stopped(member, problem, console)
        return
    loop.save_checkpoint(member.folder, member.run, member.state)


def stop(member: Member, stacked: TrainState, k: int, found: guard.Found, console: TextIO) -> None:
    """Stop member k, whose step `found[0]` was not finite, as the guard stops a run: its first non-finite quantity
    then (a statistic or a parameter) in its events.jsonl and in the message; the others go on."""
    unstack(stacked, k, member.state)
    _stopped(member, found[1], console, found[0])


def _stopped(member: Member, problem: str, console: TextIO, failed_at: int | None = None) -> None:
    try:
        guard.recover(member.folder, member.run, member.state, problem, None, console, failed_at)
    except NonFiniteError as error:
        member.stopped = str(error)
        print(f"{member.plan.label}: {error}", file=console, flush=True)
