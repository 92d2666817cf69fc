"""`wganlab train` and `wganlab sweep`: start, resume or join a run (or a sweep's runs), train it, print its result.

A dry run prints the config with its layers applied (stdout; "auto" values stay: a run resolves them when it is
built) and both networks with their parameter counts (stderr) and trains nothing. Under torchrun every rank
trains and rank 0 writes and prints; a lost peer ends every rank with the one line that resumes the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wganlab import config as configuration
from wganlab.arguments import data_root_of
from wganlab.data.datasets import build_dataset, data_shape, shape_from
from wganlab.errors import UserError
from wganlab.evaluate import metric_lines
from wganlab.models.architectures import describe
from wganlab.models.conditional import NONE
from wganlab.training import distributed, loop, session, sweep
from wganlab.training.labels import conditioned
from wganlab.training.step import Run
from wganlab.training.validation import device_line, validate


def train_command(args: argparse.Namespace) -> int:
    """`wganlab train`: a dry run, or a run started, resumed or joined (torchrun), trained to its end."""
    data_root: str | None = None  # --resume's --set data.root=DIR (the last one given): where the run's data is now
    if args.resume is not None:
        roots = [data_root_of(item) for item in args.overrides]
        if args.config is not None or args.preset or None in roots:
            raise UserError("--resume continues a run with its own config; drop CONFIG, --preset and --set (but "
                            "--set data.root=DIR, where its data is now)")
        if args.dry_run:
            raise UserError("--dry-run does not apply to --resume")
        data_root = roots[-1] if roots else None
    elif args.dry_run:
        config = configuration.load(args.config, args.preset, args.overrides, args.steps)
        validate(config)
        print(json.dumps(configuration.to_dict(config), indent=2))
        print(_networks(config), file=sys.stderr)  # stdout stays the config's JSON
        return 0
    team = distributed.join()  # under torchrun: every rank trains, rank 0 writes; else one process alone
    folder, finished = None, False
    try:
        if args.resume is not None:
            folder, run, state = session.begin(
                team, lambda: session.resume(args.resume, args.steps, args.outdir, team, data_root))
            if team.main:
                print(f"resuming {folder} at step {state.step} of {run.config.train.steps} on "
                      f"{run.config.train.device}")
        else:
            config = configuration.load(args.config, args.preset, args.overrides, args.steps)
            folder, run, state = session.begin(team, lambda: session.start(config, args.outdir, team))
            if team.main:
                _say_start(folder, config, run, team.world)
        for note in run.notes if team.main else ():
            print(note, file=sys.stderr)
        summary = loop.fit(folder, run, state)
        finished = True
    except (RuntimeError, distributed.RankStopped) as error:
        if team.world == 1 or not (isinstance(error, distributed.RankStopped) or distributed.lost_peers(error)):
            raise
        where = folder if folder is not None else "RUN (the run folder rank 0 names)"
        raise distributed.RankStopped(
            f"lost contact with the other processes (another rank failed, was killed or timed out); every rank has "
            f"stopped: resume with torchrun --nproc_per_node {team.world} -m wganlab train --resume {where}"
        ) from None
    finally:
        distributed.leave(team, finished)
    if team.main:
        print(metric_lines(loop.headline(run, summary.metrics), summary.metrics, summary.generator_steps_per_second))
        print(f"run folder {folder}")
    return 0


def _say_start(folder: Path, config: configuration.Config, run: Run, world: int) -> None:
    """The run's first lines: its folder, preset, steps and device, then what "auto" chose and why."""
    processes = f", {world} processes" if world > 1 else ""
    device = device_line(config.train.device, run.config.train.device)
    print(f"run folder {folder}  (preset {config.preset}, {config.train.steps} generator steps on {device}"
          f"{processes})")
    for line in run.said:
        print(line)


def sweep_command(args: argparse.Namespace) -> int:
    """`wganlab sweep`: the runs of a grid and seeds, trained as stacked groups; 1 if any member stopped."""
    if distributed.launched():
        raise UserError("wganlab sweep runs in one process; launch it without torchrun")
    base = configuration.load(args.config, args.preset, args.overrides, args.steps)
    grid = sweep.parse_grid(args.grid)
    seeds = sweep.parse_seeds(args.seeds) if args.seeds is not None else None
    if args.dry_run:
        plans = sweep.plan(base, grid, seeds)
        for number, group in enumerate(sweep.groups(plans)):
            for index in group:
                print(f"group {number}  {plans[index].label}")
        return 0
    started = sweep.start(base, grid, seeds, args.outdir)
    device = device_line(base.train.device, started.members[0].run.config.train.device)
    print(f"sweep folder {started.folder}  ({len(started.members)} runs in {len(started.groups)} batched groups, "
          f"preset {base.preset}, {base.train.steps} generator steps each on {device})")
    for line in dict.fromkeys(line for member in started.members for line in member.run.said):  # once each
        print(line)
    done = sweep.fit(started)
    for member in done.members:
        outcome = (f"stopped: {member.stopped}" if member.stopped else loop.headline(member.run, member.metrics))
        print(f"{member.plan.label}  {outcome}  ({member.folder.name})")
    print(f"sweep folder {done.folder}  (compare: wganlab compare {done.folder})")
    return 1 if any(member.stopped for member in done.members) else 0


def _networks(config: configuration.Config) -> str:
    """Both networks with their parameter counts, for data of the config's shape (read from the data if need be)."""
    if config.model.conditioning != NONE:  # its class count is the data's: read them
        dataset = build_dataset(config.data, config.train.seed)
        return describe(conditioned(config, dataset).model, data_shape(dataset))
    shape = shape_from(config.data, lambda: build_dataset(config.data, config.train.seed))
    return describe(config.model, shape)
